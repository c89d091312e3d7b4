import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { copyClientOrderId, isCopyClientOrderId } from './client-order-id.js';

const OKX = /^[A-Za-z0-9]{1,32}$/; // the strictest venue format

describe('copyClientOrderId properties', () => {
  const id = fc.oneof(fc.uuid(), fc.string(), fc.string({ unit: 'binary', maxLength: 8 }));

  it('is deterministic and shaped for every venue', () => {
    fc.assert(
      fc.property(id, id, (fill, follow) => {
        const a = copyClientOrderId(fill, follow);
        expect(copyClientOrderId(fill, follow)).toBe(a);
        expect(a).toMatch(OKX);
        expect(isCopyClientOrderId(a)).toBe(true);
      }),
    );
  });

  it('differs for distinct pairs (sampled)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(id, id), {
          minLength: 2,
          maxLength: 200,
          selector: (p) => JSON.stringify(p),
        }),
        (pairs) => {
          const ids = new Set(pairs.map(([f, g]) => copyClientOrderId(f, g)));
          expect(ids.size).toBe(pairs.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
