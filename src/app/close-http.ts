import type { Logger } from 'pino';
import type { HttpServer } from '../http/types.js';

/** Stops accepting, lets in-flight requests finish, and cuts connections at the deadline. */
export async function closeHttp(
  app: HttpServer,
  deadlineMs: number,
  logger: Logger,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => {
    timer = setTimeout(() => resolve('deadline'), deadlineMs);
  });
  const closed = app.close().then(() => 'closed' as const);
  const first = await Promise.race([closed, deadline]);
  clearTimeout(timer);
  if (first === 'deadline') {
    logger.warn(
      { deadlineMs },
      'in-flight requests outlived the shutdown deadline; closing connections',
    );
    app.server.closeAllConnections();
    await closed;
  }
}
