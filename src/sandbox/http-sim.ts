/**
 * What every simulator shares: a loopback server, JSON answers, added latency,
 * the admin routes (POST /_sim/options, GET /_sim/stats), and a close() that
 * also ends connections held open to simulate timeouts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

export interface SimServer {
  baseUrl: string;
  close(): Promise<void>;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void | Promise<void>;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/**
 * Answers with the headers at once, then the body one byte every `intervalMs`:
 * the server that an idle-socket timeout never catches. Stops when the client
 * goes away.
 */
export function trickle(res: ServerResponse, status: number, body: unknown, intervalMs: number, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const bytes = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(bytes.length), ...headers });
  res.flushHeaders();
  let sent = 0;
  const timer = setInterval(() => {
    if (res.destroyed) return clearInterval(timer);
    res.write(bytes.subarray(sent, sent + 1));
    sent += 1;
    if (sent >= bytes.length) {
      clearInterval(timer);
      res.end();
    }
  }, intervalMs);
  res.on('close', () => clearInterval(timer));
}

export function delay(ms: number): Promise<void> {
  return ms > 0 ? new Promise((r) => setTimeout(r, ms)) : Promise.resolve();
}

export async function startSimServer(
  handler: Handler,
  admin: { setOptions(patch: Record<string, unknown>): void; stats(): unknown },
  options: { port?: number; host?: string } = {},
): Promise<SimServer> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === '/_sim/options' && req.method === 'POST') {
        try {
          admin.setOptions(JSON.parse(body || '{}'));
          return sendJson(res, 200, { ok: true });
        } catch (err) {
          return sendJson(res, 400, { error: String(err) });
        }
      }
      if (path === '/_sim/stats') return sendJson(res, 200, admin.stats());
      Promise.resolve(handler(req, res, body)).catch((err) => sendJson(res, 500, { error: String(err) }));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    baseUrl: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
