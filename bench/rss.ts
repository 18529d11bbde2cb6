import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

const SAMPLE_EVERY_MS = 100;
/** Workers (WEB_CONCURRENCY) are looked for this often; a replaced worker is found within it. */
const FIND_CHILDREN_EVERY_MS = 1_000;

/** The field in bytes; 0 once the process is gone (the scenario's results then show why). */
function statusField(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return 0;
  }
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** The process and its children (a cluster primary's workers). */
function processTree(pid: number): number[] {
  const children = readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        // The parent pid is the 2nd field after the command, which is in parentheses and may hold spaces.
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
      } catch {
        return false;
      }
    })
    .map(Number);
  return [pid, ...children];
}

/** Restarts the kernel's peak (VmHWM) count: the peak is then this scenario's, not the process's. */
function resetPeak(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // The sampled peak still holds.
  }
}

/**
 * Follows the resident memory of a server process and its workers during one scenario, and gives
 * the largest process's peak: the target is per process. The kernel's peak (VmHWM) is reset at
 * the start; sampling VmRSS as well covers a kernel that refuses the reset. Returns a function
 * that stops and gives the peak in MB.
 */
export function followRss(pid: number): () => number {
  const peaks = new Map<number, number>();
  const follow = (tree: number[]) => {
    for (const member of tree) {
      if (!peaks.has(member)) resetPeak(member);
      peaks.set(member, Math.max(peaks.get(member) ?? 0, statusField(member, 'VmRSS')));
    }
  };
  let tree = processTree(pid);
  follow(tree);
  const sampler = setInterval(() => follow(tree), SAMPLE_EVERY_MS);
  const finder = setInterval(() => (tree = processTree(pid)), FIND_CHILDREN_EVERY_MS);
  return () => {
    clearInterval(sampler);
    clearInterval(finder);
    for (const member of tree) peaks.set(member, Math.max(peaks.get(member) ?? 0, statusField(member, 'VmHWM')));
    return Math.round(Math.max(...peaks.values()) / 2 ** 20);
  };
}
