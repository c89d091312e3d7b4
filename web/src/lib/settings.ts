/**
 * What the server tells the page at load, in a JSON block it adds to index.html (a data block,
 * so the Content-Security-Policy, which forbids inline scripts, has nothing to object to).
 */
export interface ServerSettings {
  /** The demo trader, when this server seeded one (embedded build with DEMO_SEED). */
  demo: { email: string; password: string } | null;
}

export function readSettings(): ServerSettings {
  const el = document.getElementById('obscura-settings');
  try {
    return { demo: null, ...(el?.textContent ? (JSON.parse(el.textContent) as object) : {}) };
  } catch {
    return { demo: null };
  }
}

export const settings = readSettings();
