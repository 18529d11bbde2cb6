import { expect } from 'chai';
import { once } from 'node:events';
import { createLogger, logProcessWarnings } from '../../src/logger.js';

describe("Node's process warnings in the log", () => {
  let saved: NodeJS.WarningListener[];
  beforeEach(() => {
    saved = process.listeners('warning');
  });
  afterEach(() => {
    process.removeAllListeners('warning');
    for (const listener of saved) process.on('warning', listener);
  });

  it('writes each as one log line: its first line as the message, the rest beside it, instead of Node printing it on stderr', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger(
      { logLevel: 'info', logFormat: 'json' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    logProcessWarnings(logger);
    expect(process.listenerCount('warning'), "Node's own printer replaced").to.equal(1);
    const emitted = once(process, 'warning');
    process.emitWarning('SECURITY WARNING: first line.\nSecond line.\n\nThird line.', { code: 'TEST001' });
    await emitted;
    expect(lines).to.have.lengthOf(1);
    expect(lines[0]).to.include({
      level: 40,
      msg: 'SECURITY WARNING: first line.',
      warning: 'Warning',
      code: 'TEST001',
      detail: 'Second line.\n\nThird line.',
    });
  });
});
