/**
 * Stops the processes tests start when their owner dies without tearing down
 * (a killed test run: CI time limit, SIGKILL), so none outlives the run.
 */
import { spawn } from 'node:child_process';

export interface Watchdog {
  /** The owner stopped the processes itself: stand down. */
  cancel(): void;
}

function quote(path: string): string {
  return `'${path.replaceAll("'", "'\\''")}'`;
}

/**
 * Starts a detached shell that polls this process once a second; once it is
 * gone, the shell sends SIGTERM to `pids`, SIGKILL two seconds later to any
 * still alive, and removes `dirs`. Detached, so a signal sent to the test
 * run's process group does not take the watcher down with it.
 */
export function stopWithOwner(pids: Array<number | undefined>, dirs: string[] = []): Watchdog {
  const list = pids.filter((p): p is number => typeof p === 'number' && p > 0).join(' ');
  const cleanup = [
    list ? `kill ${list} 2>/dev/null; sleep 2; kill -9 ${list} 2>/dev/null` : '',
    dirs.length > 0 ? `rm -rf ${dirs.map(quote).join(' ')}` : '',
  ].filter(Boolean);
  const script = `while kill -0 ${process.pid} 2>/dev/null; do sleep 1; done; ${cleanup.join('; ') || 'true'}`;
  const proc = spawn('sh', ['-c', script], { detached: true, stdio: 'ignore' });
  proc.unref();
  return {
    cancel() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    },
  };
}
