import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, messageOf } from '../lib/api';
import { fmt, signOf } from '../lib/format';
import { useApi } from '../lib/hooks';
import type { Instrument, Order, OrderType, Side, TimeInForce } from '../lib/types';
import { useAccount } from '../state/account';
import { FieldError, Notice, Panel } from './ui';

/** Fields the ticket always shows, each with its own error line. */
const FIELDS = ['side', 'type', 'quantity', 'timeInForce', 'postOnly', 'reduceOnly'];

const TYPES: Array<[OrderType, string]> = [
  ['limit', 'Limit'],
  ['market', 'Market'],
  ['stop_limit', 'Stop limit'],
  ['stop_market', 'Stop market'],
];

/**
 * The order ticket. The server validates every order (tick and lot sizes, notional, funds,
 * risk limits); the ticket sends what was typed and shows each refusal beside the field the
 * server names. A fresh clientOrderId per submission makes a retried request idempotent.
 */
export function OrderTicket(props: {
  instrument: Instrument;
  /** A price picked elsewhere (the book), for the price field. */
  price?: { symbol: string; value: string; at: number };
}) {
  const api = useApi();
  const account = useAccount();
  const i = props.instrument;
  const [side, setSide] = useState<Side>('buy');
  const [type, setType] = useState<OrderType>('limit');
  const [quantity, setQuantity] = useState('');
  const [price, setPrice] = useState('');
  const [stopPrice, setStopPrice] = useState('');
  const [tif, setTif] = useState<TimeInForce>('GTC');
  const [postOnly, setPostOnly] = useState(false);
  const [reduceOnly, setReduceOnly] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [result, setResult] = useState<{ kind: 'ok' | 'error' | 'info'; text: string }>();
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (props.price?.symbol === i.symbol) setPrice(props.price.value);
  }, [props.price, i.symbol]);

  const needsPrice = type === 'limit' || type === 'stop_limit';
  const needsStop = type === 'stop_market' || type === 'stop_limit';
  const chooseType = (t: OrderType) => {
    setType(t);
    // A market order executes at once: good-till-cancelled means nothing for it.
    if (t === 'market' && tif === 'GTC') setTif('IOC');
    if (t !== 'market' && tif !== 'GTC' && type === 'market') setTif('GTC');
    if (t !== 'limit') setPostOnly(false);
  };

  const spend = side === 'buy' ? i.quote : i.base;
  const available = account.balances.find((b) => b.currency === spend)?.available ?? '0';

  async function submit(e: FormEvent) {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    setResult(undefined);
    const body: Record<string, unknown> = {
      symbol: i.symbol,
      side,
      type,
      quantity: quantity.trim(),
      timeInForce: tif,
      clientOrderId: `ui-${crypto.randomUUID()}`,
    };
    if (needsPrice) body.price = price.trim();
    if (needsStop) body.stopPrice = stopPrice.trim();
    if (postOnly) body.postOnly = true;
    if (reduceOnly) body.reduceOnly = true;
    try {
      const order = await api.post<Order>('/api/v1/trading/execute', body);
      setResult(describe(order, i));
      if (order.status !== 'rejected') setQuantity('');
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fields).length) {
        setErrors(err.fields);
        // Issues of fields the form does not show (symbol, clientOrderId…) go in the banner.
        const shown = new Set([
          ...FIELDS,
          ...(needsPrice ? ['price'] : []),
          ...(needsStop ? ['stopPrice'] : []),
        ]);
        const rest = Object.entries(err.fields).filter(([f]) => !shown.has(f));
        if (rest.length)
          setResult({
            kind: 'error',
            text: rest.map(([f, m]) => (f ? `${f}: ${m}` : m)).join('; '),
          });
      } else setResult({ kind: 'error', text: messageOf(err) });
    } finally {
      setBusy(false);
      void account.refresh();
    }
  }

  return (
    <Panel title="Place order" className="ticket" testId="order-ticket">
      <form onSubmit={submit} noValidate>
        <div className="side-toggle" role="radiogroup" aria-label="Side">
          {(['buy', 'sell'] as const).map((s) => (
            <button
              key={s}
              type="button"
              role="radio"
              aria-checked={side === s}
              className={`${s} ${side === s ? 'on' : ''}`}
              onClick={() => setSide(s)}
            >
              {s === 'buy' ? `Buy ${i.base}` : `Sell ${i.base}`}
            </button>
          ))}
        </div>
        <FieldError name="side" message={errors.side} />

        <label htmlFor="order-type">Type</label>
        <select
          id="order-type"
          value={type}
          onChange={(e) => chooseType(e.target.value as OrderType)}
        >
          {TYPES.map(([v, label]) => (
            <option key={v} value={v}>
              {label}
            </option>
          ))}
        </select>
        <FieldError name="type" message={errors.type} />

        {needsStop && (
          <>
            <label htmlFor="order-stop">Stop price ({i.quote})</label>
            <input
              id="order-stop"
              inputMode="decimal"
              autoComplete="off"
              placeholder={`step ${i.tickSize}`}
              value={stopPrice}
              onChange={(e) => setStopPrice(e.target.value)}
              aria-invalid={Boolean(errors.stopPrice)}
            />
            <FieldError name="stopPrice" message={errors.stopPrice} />
          </>
        )}

        {needsPrice && (
          <>
            <label htmlFor="order-price">
              {type === 'stop_limit' ? 'Limit price' : 'Price'} ({i.quote})
            </label>
            <input
              id="order-price"
              inputMode="decimal"
              autoComplete="off"
              placeholder={`step ${i.tickSize}`}
              value={price}
              onChange={(e) => setPrice(e.target.value)}
              aria-invalid={Boolean(errors.price)}
            />
            <FieldError name="price" message={errors.price} />
          </>
        )}

        <label htmlFor="order-quantity">Quantity ({i.base})</label>
        <input
          id="order-quantity"
          inputMode="decimal"
          autoComplete="off"
          placeholder={`min ${i.minQuantity}, step ${i.lotSize}`}
          value={quantity}
          onChange={(e) => setQuantity(e.target.value)}
          aria-invalid={Boolean(errors.quantity)}
        />
        <FieldError name="quantity" message={errors.quantity} />

        <div className="row">
          <div className="grow">
            <label htmlFor="order-tif">Time in force</label>
            <select
              id="order-tif"
              value={tif}
              onChange={(e) => setTif(e.target.value as TimeInForce)}
            >
              {type !== 'market' && <option value="GTC">GTC · until cancelled</option>}
              <option value="IOC">IOC · fill now, cancel rest</option>
              <option value="FOK">FOK · all now or nothing</option>
            </select>
          </div>
        </div>
        <FieldError name="timeInForce" message={errors.timeInForce} />

        <div className="checks">
          <label className="check">
            <input
              type="checkbox"
              checked={postOnly}
              disabled={type !== 'limit'}
              onChange={(e) => setPostOnly(e.target.checked)}
            />
            Post-only
          </label>
          <label className="check">
            <input
              type="checkbox"
              checked={reduceOnly}
              onChange={(e) => setReduceOnly(e.target.checked)}
            />
            Reduce-only
          </label>
        </div>
        <FieldError name="postOnly" message={errors.postOnly} />
        <FieldError name="reduceOnly" message={errors.reduceOnly} />

        <p className="available muted">
          Available: <span className="num">{fmt(available, { maxPlaces: 8 })}</span> {spend}
          <span className="fees">
            fees {fmt(i.makerFee, { maxPlaces: 6 })} maker · {fmt(i.takerFee, { maxPlaces: 6 })}{' '}
            taker
          </span>
        </p>

        <button type="submit" className={`primary submit ${side}`} disabled={busy}>
          {busy ? 'Sending…' : `${side === 'buy' ? 'Buy' : 'Sell'} ${i.base}`}
        </button>
        {result && (
          <Notice kind={result.kind} testId="order-result">
            {result.text}
          </Notice>
        )}
      </form>
    </Panel>
  );
}

function describe(o: Order, i: Instrument): { kind: 'ok' | 'error' | 'info'; text: string } {
  const what = `${o.side === 'buy' ? 'Buy' : 'Sell'} ${fmt(o.quantity, { maxPlaces: i.quantityPrecision })} ${i.base}`;
  const avg = `at ${fmt(o.averagePrice, { places: i.pricePrecision })} on average`;
  switch (o.status) {
    case 'rejected':
      return {
        kind: 'error',
        text: `Rejected: ${o.reasonMessage ?? o.reason ?? 'no reason given'}`,
      };
    case 'filled':
      return { kind: 'ok', text: `${what} filled ${avg}.` };
    case 'partially_filled':
      return {
        kind: 'ok',
        text: `${what}: ${fmt(o.filledQuantity, { maxPlaces: 8 })} filled ${avg}, the rest works.`,
      };
    case 'pending_trigger':
      return { kind: 'ok', text: `${what} waits for its stop price.` };
    case 'cancelled':
    case 'expired':
      return {
        kind: 'info',
        text: `${what}: ${signOf(o.filledQuantity) === 0 ? 'nothing' : fmt(o.filledQuantity, { maxPlaces: 8 })} filled; the rest was cancelled (${o.timeInForce}).`,
      };
    default:
      return {
        kind: 'ok',
        text: `${what} placed at ${fmt(o.price, { places: i.pricePrecision })}.`,
      };
  }
}
