import type { IdentityService } from '../modules/identity/index.js';
import type { Logger } from '../platform/logging/logger.js';

export const DEMO_ACCOUNT = {
  email: 'demo@obscura.local',
  password: 'obscura-sandbox',
  displayName: 'Demo Trader',
};

/**
 * Gives a newcomer's embedded build an account to log in with. Only the embedded build seeds,
 * and it binds to 127.0.0.1 by default, so the well-known password stays on the machine.
 */
export async function seedDemo(identity: IdentityService, logger: Logger): Promise<void> {
  const existing = await identity.listUsers({ limit: 1, email: DEMO_ACCOUNT.email });
  if (existing.length) return;
  try {
    await identity.register({ ...DEMO_ACCOUNT, role: 'trader' }, { ip: '127.0.0.1' });
    logger.info(
      { at: 'app#seedDemo', email: DEMO_ACCOUNT.email },
      'demo trader created (see README for its password)',
    );
  } catch (err) {
    logger.warn({ at: 'app#seedDemo', err }, 'could not create the demo trader');
  }
}
