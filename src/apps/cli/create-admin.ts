import { createInterface } from 'node:readline/promises';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { buildApp } from '../app.js';
import { loadConfig } from '../config.js';
import { readEnvironment } from '../../platform/config/index.js';

const formats = new Ajv();
addFormats.default(formats);
const isEmail = formats.compile({ type: 'string', format: 'email', maxLength: 254 });

async function readPassword(fromStdin: boolean): Promise<string> {
  const fromEnv = readEnvironment().OBSCURA_ADMIN_PASSWORD;
  if (!fromStdin && fromEnv) return fromEnv;
  if (fromStdin || !process.stdin.isTTY) {
    let data = '';
    for await (const chunk of process.stdin) data += chunk;
    return data.replace(/\r?\n$/, '');
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
  // Do not echo the password as it is typed.
  (rl as unknown as { _writeToOutput: (s: string) => void })._writeToOutput = (s: string) => {
    if (s.includes('Password')) process.stderr.write(s);
  };
  const pw = await rl.question('Password: ');
  rl.close();
  process.stderr.write('\n');
  return pw;
}

export async function createAdminCommand(o: {
  email: string;
  name: string;
  passwordStdin?: boolean;
}): Promise<void> {
  const password = await readPassword(Boolean(o.passwordStdin));
  if (password.length < 12 || password.length > 256) {
    throw new Error('an administrator password needs 12 to 256 characters');
  }
  // The same format check the login route applies, so the admin can log in afterwards.
  if (!isEmail(o.email)) throw new Error(`"${o.email}" is not an email address`);
  const config = { ...loadConfig(), logLevel: 'warn', demoSeed: false };
  const app = await buildApp(config, { role: config.redisUrl ? 'api' : 'all' });
  try {
    await app.start();
    const { user, created } = await app.identity.service.ensureAdmin({
      email: o.email,
      password,
      displayName: o.name,
    });
    process.stdout.write(
      `${created ? 'Created' : 'Promoted'} administrator ${user.email} (${user.id}).\n`,
    );
  } finally {
    await app.close();
  }
}
