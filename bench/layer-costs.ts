import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startNode, stopChild } from './children.js';
import type { LayerCosts, LayerJob } from './layer-worker.js';

const WORKER = path.join(import.meta.dirname, 'layer-worker.ts');
/** Seeding, five scenarios of a few thousand requests one at a time: well under a minute. */
const LIMIT_MS = 180_000;

/**
 * Measures what each middleware costs per request (layer-worker.ts) in a process of its own,
 * whose log lines (stdout) are read and dropped, as a server's are by its log collector.
 */
export async function measureLayerCosts(job: LayerJob, workDir: string): Promise<LayerCosts> {
  const id = randomUUID();
  const jobFile = path.join(workDir, `layers-${id}.json`);
  const resultFile = path.join(workDir, `layers-${id}-result.json`);
  await writeFile(jobFile, JSON.stringify(job));
  const child = startNode([WORKER, jobFile, resultFile], process.env);
  let stderr = '';
  child.stdout!.resume();
  child.stderr!.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
  const limit = setTimeout(() => void stopChild(child), LIMIT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearTimeout(limit);
  if (code !== 0) throw new Error(`the per-layer measurement failed (exit ${code}):\n${stderr}`);
  return JSON.parse(await readFile(resultFile, 'utf8')) as LayerCosts;
}
