import { describe, expect, it } from 'vitest';
import { AppError } from '../../core/errors.js';
import { keyLast4, validateCredentialInput, type CredentialInput } from './validate.js';

const base: CredentialInput = {
  exchange: 'binance',
  apiKey: 'abcdefghijkl1234',
  secret: 'top-secret-value',
};

function issues(input: CredentialInput): Array<{ field: string; message: string }> {
  try {
    validateCredentialInput(input);
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).kind).toBe('validation');
    return (e as AppError).fields;
  }
  throw new Error('expected a validation error');
}

describe('credential input', () => {
  it('defaults the label to the exchange id and normalises the id', () => {
    expect(validateCredentialInput({ ...base, exchange: ' Binance ' })).toEqual({
      ...base,
      exchange: 'binance',
      label: 'binance',
    });
    expect(validateCredentialInput({ ...base, label: '  main  ', passphrase: '' }).label).toBe(
      'main',
    );
  });

  it('names the exchange field for an unsupported id', () => {
    expect(issues({ ...base, exchange: 'mtgox' }).map((i) => i.field)).toEqual(['/exchange']);
  });

  it('reports every bad field at once, describing rules and never values', () => {
    const bad = { exchange: 'okx', label: '', apiKey: 'key\nwith-newline', secret: ' padded ' };
    const found = issues(bad);
    expect(found.map((i) => i.field)).toEqual(['/label', '/apiKey', '/secret', '/passphrase']);
    const text = JSON.stringify(found);
    expect(text).not.toContain('newline');
    expect(text).not.toContain('padded');
    expect(found.find((i) => i.field === '/passphrase')?.message).toBe('is required for okx');
  });

  it('bounds lengths', () => {
    expect(issues({ ...base, apiKey: 'k'.repeat(513) })[0]?.field).toBe('/apiKey');
    expect(issues({ ...base, label: 'l'.repeat(65) })[0]?.field).toBe('/label');
    expect(issues({ ...base, passphrase: 'p'.repeat(257) })[0]?.field).toBe('/passphrase');
    expect(issues({ ...base, secret: '' })[0]?.field).toBe('/secret');
  });

  it('shows the last 4 characters of keys of 12 characters or more only', () => {
    expect(keyLast4('abcdefghijkl1234')).toBe('1234');
    expect(keyLast4('short1234')).toBe('');
  });
});
