/**
 * @module
 * A `pcisim sweep` worker thread: boots the scenarios it is sent and posts their results.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { MachineCache } from '../machine-cache.js';
import { runScenario, type FromWorker, type SweepResult, type ToWorker, type WorkerInit } from './run.js';

const port = parentPort;
if (port === null) throw new Error('pcisim sweep: worker.js runs as a worker thread');
const { matrix, freshMachines } = workerData as WorkerInit;
const machines = freshMachines ? undefined : new MachineCache();
port.on('message', (msg: ToWorker) => {
  if ('stop' in msg) {
    port.close();
    return;
  }
  try {
    const results: SweepResult[] = [];
    for (const i of msg.indices) results.push(runScenario(matrix, i, machines));
    port.postMessage({ indices: msg.indices, results, machines: machines ? { ...machines.stats } : null } satisfies FromWorker);
  } catch (e) {
    port.postMessage({ fatal: e instanceof Error ? (e.stack ?? e.message) : String(e) } satisfies FromWorker);
  }
});
