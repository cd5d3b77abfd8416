/** How many times the header `name` (lower case) is in `raw` (Node's rawHeaders). */
export function headerCount(raw: string[], name: string): number {
  let n = 0;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i].length === name.length && raw[i].toLowerCase() === name) n++;
  return n;
}
