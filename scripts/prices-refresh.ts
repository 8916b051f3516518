// npm run prices:refresh [-- REGION ...]: rewrites packages/core/src/on-demand-prices.ts
// from the AWS Price List API for the types the table already lists (and
// us-east-1 plus any regions given). Needs AWS credentials that may call
// pricing:GetProducts; the API answers from us-east-1.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PricingClient } from '@aws-sdk/client-pricing';
import { fetchOnDemandPrices, renderOnDemandPrices } from '../packages/aws/src/price-list.ts';
import { ON_DEMAND_HOURLY_USD } from '../packages/core/src/on-demand-prices.ts';

const regions = [
  ...new Set(['us-east-1', ...Object.keys(ON_DEMAND_HOURLY_USD), ...process.argv.slice(2)]),
];
const types = [
  ...new Set(Object.values(ON_DEMAND_HOURLY_USD).flatMap((t) => Object.keys(t))),
].sort();
const pricing = new PricingClient({ region: 'us-east-1' });
const table = new Map<string, Map<string, number>>();
for (const region of regions) {
  const prices = await fetchOnDemandPrices(pricing, region, types);
  const missing = types.filter((t) => !prices.has(t));
  console.log(
    `${region}: ${prices.size} prices${missing.length ? `; not offered: ${missing.join(', ')}` : ''}`,
  );
  if (prices.size > 0) table.set(region, prices);
}
if (table.size === 0)
  throw new Error('the Price List API returned no prices: the table is left as it was');
const file = path.resolve(import.meta.dirname, '../packages/core/src/on-demand-prices.ts');
writeFileSync(file, renderOnDemandPrices(table, new Date().toISOString().slice(0, 10)));
console.log(`wrote ${file}`);
pricing.destroy();
