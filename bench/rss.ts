import { readFileSync, writeFileSync } from 'node:fs';

const SAMPLE_EVERY_MS = 100;

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

/**
 * Follows a process's resident memory during one scenario. The kernel's own peak (VmHWM) is reset
 * at the start (clear_refs 5), so that it is this scenario's peak, not the process's; sampling
 * VmRSS as well covers a kernel that refuses the reset. Returns a function that stops and gives
 * the peak in MB.
 */
export function followRss(pid: number): () => number {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // The sampled peak still holds.
  }
  let peak = statusField(pid, 'VmRSS');
  const timer = setInterval(() => (peak = Math.max(peak, statusField(pid, 'VmRSS'))), SAMPLE_EVERY_MS);
  return () => {
    clearInterval(timer);
    return Math.round(Math.max(peak, statusField(pid, 'VmHWM')) / 2 ** 20);
  };
}
