/**
 * The framework floor: what bare Express 5 costs on top of the node:http floor. One route per
 * request kind, express.json() for bodies, Express's defaults otherwise (no validator, no logger,
 * no middleware of ours), over the same SQL and token check (floor-tasks.ts).
 *
 * Env: PORT, and those of floor-tasks.ts.
 */
import express, { type NextFunction, type Request, type Response } from 'express';
import { closeDatabase, createTask, getTask, HEALTHY, listTasks, refuse, type Answer } from './floor-tasks.js';

type Params = { userId: string; taskId?: string };

function send(res: Response, { status, body, headers = {} }: Answer): void {
  res.status(status).set(headers).json(body);
}

async function authenticate(req: Request<Params>, res: Response, next: NextFunction): Promise<void> {
  const refusal = await refuse(req.headers.authorization, req.params.userId);
  if (refusal) send(res, refusal);
  else next();
}

const app = express();
app.get('/health', (_req, res) => send(res, HEALTHY));
app.use('/api/:userId/tasks', authenticate);
app.get('/api/:userId/tasks', async (req: Request<Params>, res) =>
  send(res, await listTasks(req.params.userId, typeof req.query.limit === 'string' ? req.query.limit : undefined)),
);
app.get('/api/:userId/tasks/:taskId', async (req: Request<Params>, res) =>
  send(res, await getTask(req.params.userId, req.params.taskId!)),
);
app.post('/api/:userId/tasks', express.json(), async (req: Request<Params>, res) =>
  send(res, await createTask(req.params.userId, (req.body ?? {}) as { title?: unknown; description?: unknown })),
);

const server = app.listen(Number(process.env.PORT ?? 0), '127.0.0.1');
process.on('SIGTERM', () => {
  server.close(() => void closeDatabase());
  server.closeAllConnections(); // keep-alive connections of the load generator would hold close() open
});
