import { spawn, type ChildProcess } from 'node:child_process';

/**
 * A real `obscura serve --role worker` process (the venue, consumers and relay), so a test can
 * SIGKILL it; resolves once it listens, rejects with its last output if it dies first.
 */
export function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('node', ['bin/obscura.js', 'serve', '--role', 'worker', '--no-migrate'], {
      env: {
        ...process.env,
        ...env,
        PORT: '0',
        LOG_LEVEL: 'info',
        OBSCURA_ENV_FILE: '/nonexistent',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('Obscura listening')) resolve(child);
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code, signal) =>
      reject(new Error(`worker exited early (${code ?? signal}):\n${out.slice(-2000)}`)),
    );
  });
}

/** Resolves once `child` has exited (at once if it already has). */
export const exited = (child: ChildProcess) =>
  new Promise<void>((r) =>
    child.exitCode !== null || child.signalCode ? r() : child.once('exit', () => r()),
  );
