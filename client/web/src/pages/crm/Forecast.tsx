// The deal forecast (`GET /orgs/{org}/deals/forecast`): per currency, a bar per month of
// expected close of the open and won deals' amount × probability, stacked by owner, drawn as
// plain SVG (chart.ts does the arithmetic); and the same figures as a table — months by owners,
// with totals — which is what screen readers and people who prefer numbers read.
import { userColor } from '../../lib/text'
import { ErrorBox, Spinner } from '../../ui/common'
import { formatMoney } from '../records/money'
import type { CurrencyForecast, DealForecast } from './api'
import { amountText, personName } from './bits'
import { axisFor, axisLabel, layoutBars, monthLabel, ownerShare, type Box } from './chart'

const BOX: Box = { width: 640, height: 260, left: 84, right: 12, top: 22, bottom: 30 }

export function Forecast ({ data, loading, error, retry }: { data?: DealForecast, loading: boolean, error: unknown, retry: () => void }) {
  return (
    <section class='forecast' aria-labelledby='forecast-head' data-testid='forecast' aria-busy={loading || undefined}>
      <h2 id='forecast-head'>Forecast</h2>
      <p class='muted small'>Open and won deals, each amount × its probability, by month of expected close. Lost deals count for nothing.</p>
      <ErrorBox error={error} retry={retry} />
      {!data
        ? loading && <Spinner />
        : !data.currencies.length
            ? <p class='muted' data-testid='forecast-empty'>No open deals to forecast.</p>
            : data.currencies.map((c) => <CurrencyForecastView key={c.currency} f={c} />)}
    </section>
  )
}

function CurrencyForecastView ({ f }: { f: CurrencyForecast }) {
  const currency = f.currency
  // Owners by their weighted total (largest at the foot of each bar), then by name.
  const owners = [...f.total.owners]
    .sort((a, b) => b.weighted - a.weighted || personName(a.user).localeCompare(personName(b.user)))
    .map((o) => o.user)
  const axis = axisFor(Math.max(0, ...f.months.map((m) => m.weighted)))
  const { bars, ticks, baseline } = layoutBars(f.months, owners, BOX, axis)
  const id = `forecast-${currency}`
  const money = (v: number) => formatMoney(v, currency)
  const summary = `Forecast in ${currency}: ${bars.map((b) => `${b.label} ${money(b.total)}`).join(', ')}; in all ${money(f.total.weighted)}.`
  return (
    <div class='forecast-currency' data-currency={currency} data-testid='forecast-currency'>
      <h3>{currency}: <span data-testid='forecast-total'>{money(f.total.weighted)}</span> <span class='muted small'>expected of {amountText(f.total.amount, currency)} in {f.total.deals} deal{f.total.deals === 1 ? '' : 's'}</span></h3>
      <ul class='forecast-legend' aria-label={`Owners in ${currency}`}>
        {owners.map((o) => (
          <li key={o}><span class='swatch' style={{ background: userColor(o) }} aria-hidden='true' /> {personName(o)} <span class='muted'>{money(f.total.owners.find((x) => x.user === o)?.weighted ?? 0)}</span></li>
        ))}
      </ul>
      <svg class='chart' viewBox={`0 0 ${BOX.width} ${BOX.height}`} role='img' aria-labelledby={`${id}-title`} data-testid='forecast-chart' preserveAspectRatio='xMinYMin meet'>
        <title id={`${id}-title`}>{summary}</title>
        {ticks.map((t) => (
          <g key={t.value} class='tick'>
            <line x1={BOX.left} x2={BOX.width - BOX.right} y1={t.y} y2={t.y} />
            <text x={BOX.left - 6} y={t.y} dy='0.32em' text-anchor='end'>{axisLabel(money(t.value))}</text>
          </g>
        ))}
        <line class='baseline' x1={BOX.left} x2={BOX.width - BOX.right} y1={baseline} y2={baseline} />
        {bars.map((b) => (
          <g key={b.label} class='bar' data-month={b.month ?? ''}>
            {b.segments.map((s) => (
              <rect key={s.owner} class='segment' x={b.x} y={s.y} width={b.width} height={Math.max(s.height, 0.5)} fill={userColor(s.owner)}>
                <title>{`${b.label}, ${personName(s.owner)}: ${money(s.value)}`}</title>
              </rect>
            ))}
            <text class='bar-total' x={b.centre} y={b.top - 6} text-anchor='middle' data-testid='bar-total'>{axisLabel(money(b.total))}</text>
            <text class='bar-label' x={b.centre} y={baseline + 18} text-anchor='middle'>{b.label}</text>
          </g>
        ))}
      </svg>
      <div class='inv-table-wrap'>
        <table class='inv-table forecast-table' data-testid='forecast-table'>
          <caption class='left small muted'>Expected amounts in {currency} by month of expected close and owner</caption>
          <thead>
            <tr>
              <th scope='col'>Month</th>
              {owners.map((o) => <th key={o} scope='col' class='num'>{personName(o)}</th>)}
              <th scope='col' class='num'>Expected</th>
              <th scope='col' class='num'>Pipeline amount</th>
              <th scope='col' class='num'>Deals</th>
            </tr>
          </thead>
          <tbody>
            {f.months.map((m) => (
              <tr key={m.month ?? 'none'} data-month={m.month ?? ''}>
                <th scope='row'>{monthLabel(m.month)}</th>
                {owners.map((o) => <td key={o} class='num'>{ownerShare(m, o) ? money(ownerShare(m, o)) : <span class='muted'>—</span>}</td>)}
                <td class='num' data-testid='month-expected'><strong>{money(m.weighted)}</strong></td>
                <td class='num'>{money(m.amount)}</td>
                <td class='num'>{m.deals}</td>
              </tr>
            ))}
          </tbody>
          <tfoot>
            <tr data-testid='forecast-total-row'>
              <th scope='row'>Total</th>
              {owners.map((o) => <td key={o} class='num'>{money(ownerShare(f.total, o))}</td>)}
              <td class='num'>{money(f.total.weighted)}</td>
              <td class='num'>{money(f.total.amount)}</td>
              <td class='num'>{f.total.deals}</td>
            </tr>
          </tfoot>
        </table>
      </div>
    </div>
  )
}
