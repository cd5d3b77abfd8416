import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  dir: string;
  caPem: string;
  caPath: string;
  serverCert: string;
  serverKey: string;
  /** Signed by the same CA, but for `elsewhere.example` only. */
  wrongHostCert: string;
  wrongHostKey: string;
  /** A second CA that signed nothing the server uses. */
  otherCaPem: string;
  cleanup(): void;
}

/** A throwaway CA and a server certificate for `localhost` / 127.0.0.1, made with openssl. */
export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'magnetar-tls-'));
  const p = (f: string) => join(dir, f);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  for (const ca of ['ca', 'other-ca']) {
    ssl(
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      `/CN=${ca}`,
      '-keyout',
      p(`${ca}.key`),
      '-out',
      p(`${ca}.pem`),
    );
  }
  const leaf = (name: string, san: string) => {
    writeFileSync(p(`${name}.cnf`), `subjectAltName=${san}\n`);
    ssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-subj',
      `/CN=${name}`,
      '-keyout',
      p(`${name}.key`),
      '-out',
      p(`${name}.csr`),
    );
    ssl(
      'x509',
      '-req',
      '-in',
      p(`${name}.csr`),
      '-CA',
      p('ca.pem'),
      '-CAkey',
      p('ca.key'),
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      p(`${name}.cnf`),
      '-out',
      p(`${name}.pem`),
    );
  };
  leaf('server', 'DNS:localhost,IP:127.0.0.1');
  leaf('wrong-host', 'DNS:elsewhere.example');
  return {
    dir,
    caPem: readFileSync(p('ca.pem'), 'utf8'),
    caPath: p('ca.pem'),
    serverCert: readFileSync(p('server.pem'), 'utf8'),
    serverKey: readFileSync(p('server.key'), 'utf8'),
    wrongHostCert: readFileSync(p('wrong-host.pem'), 'utf8'),
    wrongHostKey: readFileSync(p('wrong-host.key'), 'utf8'),
    otherCaPem: readFileSync(p('other-ca.pem'), 'utf8'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
