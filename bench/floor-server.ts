/**
 * The floor: the least a Node process can do to answer /health, list, get and create. Bare
 * node:http over the SQL and token check of floor-tasks.ts (a pg Pool the size of ours, HS256
 * checked with node:crypto), JSON out; no framework, no validation.
 *
 * Env: PORT, and those of floor-tasks.ts.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  closeDatabase,
  createTask,
  getTask,
  HEALTHY,
  listTasks,
  NOT_FOUND,
  refuse,
  type Answer,
} from './floor-tasks.js';

function send(res: ServerResponse, { status, body, headers = {} }: Answer): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readJson(req: IncomingMessage): Promise<{ title?: unknown; description?: unknown }> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString() || '{}') as { title?: unknown; description?: unknown };
}

async function answer(req: IncomingMessage): Promise<Answer> {
  const url = new URL(req.url ?? '/', 'http://floor');
  if (url.pathname === '/health') return HEALTHY;
  const match = /^\/api\/([^/]+)\/tasks(?:\/(\d+))?$/.exec(url.pathname);
  if (!match) return NOT_FOUND;
  const userId = decodeURIComponent(match[1]!);
  const refusal = await refuse(req.headers.authorization, userId);
  if (refusal) return refusal;
  const taskId = match[2];
  if (req.method === 'GET' && taskId === undefined) return listTasks(userId, url.searchParams.get('limit'));
  if (req.method === 'GET') return getTask(userId, taskId!);
  if (req.method === 'POST' && taskId === undefined) return createTask(userId, await readJson(req));
  return { status: 405, body: { title: 'Method Not Allowed' } };
}

const server = createServer((req, res) => {
  answer(req).then(
    (result) => send(res, result),
    () => send(res, { status: 500, body: { title: 'Internal Server Error' } }),
  );
});
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => void closeDatabase());
  server.closeAllConnections(); // keep-alive connections of the load generator would hold close() open
});
