import { useState } from 'react';
import { ApiError, messageOf } from '../lib/api';
import { fmt, fmtDateTime } from '../lib/format';
import { useApi } from '../lib/hooks';
import type { Order } from '../lib/types';
import { useAccount } from '../state/account';
import { useMarket } from '../state/market';
import { Empty, FieldError, Notice, Panel, SideTag } from './ui';

const TYPE_LABEL: Record<Order['type'], string> = {
  market: 'Market',
  limit: 'Limit',
  stop_market: 'Stop market',
  stop_limit: 'Stop limit',
};

/** Working orders with cancel, and amend (price and quantity) for resting limits. */
export function OpenOrders() {
  const { openOrders } = useAccount();
  return (
    <Panel title={`Open orders (${openOrders.length})`} testId="open-orders">
      {openOrders.length === 0 ? (
        <Empty>No open orders.</Empty>
      ) : (
        <table className="grid">
          <thead>
            <tr>
              <th>Placed</th>
              <th>Symbol</th>
              <th>Side</th>
              <th>Type</th>
              <th className="r">Price</th>
              <th className="r">Stop</th>
              <th className="r">Quantity</th>
              <th className="r">Filled</th>
              <th>TIF</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {openOrders.map((o) => (
              <OrderRow key={o.id} order={o} />
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

function OrderRow({ order: o }: { order: Order }) {
  const api = useApi();
  const { refresh } = useAccount();
  const { instrument } = useMarket();
  const i = instrument(o.symbol);
  const places = i?.pricePrecision ?? 2;
  const qty = { maxPlaces: i?.quantityPrecision ?? 8 };
  const [editing, setEditing] = useState(false);
  const [price, setPrice] = useState(o.price ?? '');
  const [quantity, setQuantity] = useState(o.quantity);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Only a resting limit (or a triggered stop limit) has a price in the book to move.
  const amendable =
    o.type === 'limit' || (o.type === 'stop_limit' && o.status !== 'pending_trigger');

  async function act(fn: () => Promise<unknown>) {
    setBusy(true);
    setErrors({});
    setProblem(undefined);
    try {
      await fn();
      setEditing(false);
    } catch (err) {
      if (err instanceof ApiError) setErrors(err.fields);
      setProblem(messageOf(err));
    } finally {
      setBusy(false);
      void refresh();
    }
  }
  const cancel = () => act(() => api.del(`/api/v1/trading/orders/${o.id}`));
  const amend = () => {
    const body: Record<string, string> = {};
    if (price.trim() !== (o.price ?? '')) body.price = price.trim();
    if (quantity.trim() !== o.quantity) body.quantity = quantity.trim();
    if (Object.keys(body).length === 0) return setEditing(false);
    return act(() => api.patch(`/api/v1/trading/orders/${o.id}`, body));
  };

  return (
    <>
      <tr data-testid="open-order" data-order-id={o.id}>
        <td className="muted num">{fmtDateTime(o.createdAt)}</td>
        <td>{o.symbol}</td>
        <td>
          <SideTag side={o.side} />
        </td>
        <td>
          {TYPE_LABEL[o.type]}
          {o.status === 'pending_trigger' && <span className="muted"> · waiting</span>}
        </td>
        <td className="r num">
          {editing ? (
            <input
              className="cell-input"
              aria-label="New price"
              value={price}
              onChange={(e) => setPrice(e.target.value)}
            />
          ) : (
            fmt(o.price, { places })
          )}
        </td>
        <td className="r num">{fmt(o.stopPrice, { places })}</td>
        <td className="r num">
          {editing ? (
            <input
              className="cell-input"
              aria-label="New quantity"
              value={quantity}
              onChange={(e) => setQuantity(e.target.value)}
            />
          ) : (
            fmt(o.quantity, qty)
          )}
        </td>
        <td className="r num">{fmt(o.filledQuantity, qty)}</td>
        <td>{o.timeInForce}</td>
        <td className="actions">
          {editing ? (
            <>
              <button className="small primary" disabled={busy} onClick={amend}>
                Save
              </button>
              <button className="small" disabled={busy} onClick={() => setEditing(false)}>
                Back
              </button>
            </>
          ) : (
            <>
              {amendable && (
                <button className="small" disabled={busy} onClick={() => setEditing(true)}>
                  Amend
                </button>
              )}
              <button className="small danger" disabled={busy} onClick={cancel}>
                Cancel
              </button>
            </>
          )}
        </td>
      </tr>
      {problem && (
        <tr className="row-problem">
          <td colSpan={10}>
            <FieldError name="price" message={errors.price} />
            <FieldError name="quantity" message={errors.quantity} />
            {!errors.price && !errors.quantity && <Notice kind="error">{problem}</Notice>}
          </td>
        </tr>
      )}
    </>
  );
}
