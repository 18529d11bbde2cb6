import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startNode, stopChild } from './children.js';
import type { LoadJob } from './load-worker.js';
import type { LoadResult } from './stats.js';

const WORKER = path.join(import.meta.dirname, 'load-worker.ts');
/** Beyond the job's own length: start-up, the requests still in flight at the end, their timeouts. */
const SLACK_MS = 30_000;

/** Runs one load job in its own process (see load-worker.ts) and returns what it measured. */
export async function runLoad(job: LoadJob, workDir: string): Promise<LoadResult> {
  // A file of its own: two jobs may run at once (the noisy neighbour and its reader).
  const jobFile = path.join(workDir, `job-${randomUUID()}.json`);
  await writeFile(jobFile, JSON.stringify(job));
  const child = startNode([WORKER, jobFile], process.env);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const limit = setTimeout(() => void stopChild(child), (job.warmupSeconds + job.seconds) * 1000 + SLACK_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(limit);
  if (code !== 0) throw new Error(`the load worker for "${job.scenario.name}" failed (exit ${code}):\n${stderr}`);
  return JSON.parse(stdout) as LoadResult;
}
