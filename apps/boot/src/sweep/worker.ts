/**
 * @module
 * A `pcisim sweep` worker thread: boots the scenarios [start, end) it is sent and posts their results.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SweepMatrix } from './matrix.js';
import { runScenario, type FromWorker, type SweepResult, type ToWorker } from './run.js';

const port = parentPort;
if (port === null) throw new Error('pcisim sweep: worker.js runs as a worker thread');
const matrix = (workerData as { matrix: SweepMatrix }).matrix;
port.on('message', (msg: ToWorker) => {
  if ('stop' in msg) {
    port.close();
    return;
  }
  try {
    const results: SweepResult[] = [];
    for (let i = msg.start; i < msg.end; i++) results.push(runScenario(matrix, i));
    port.postMessage({ start: msg.start, results } satisfies FromWorker);
  } catch (e) {
    port.postMessage({ fatal: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromWorker);
  }
});
