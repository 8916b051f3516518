// On-demand prices from the AWS Price List API (GetProducts), for
// `npm run prices:refresh`, which rewrites packages/core/src/on-demand-prices.ts.
// @aws-sdk/client-pricing is the SDK's own client for that API: it signs
// the requests and pages through NextToken like every other client here.
import { GetProductsCommand, type PricingClient } from '@aws-sdk/client-pricing';

/** One product of GetProducts' PriceList, as far as the table needs it. */
interface PriceListItem {
  readonly product?: {
    readonly productFamily?: string;
    readonly attributes?: Readonly<Record<string, string>>;
  };
  readonly terms?: {
    readonly OnDemand?: Readonly<
      Record<
        string,
        {
          readonly priceDimensions?: Readonly<
            Record<string, { readonly unit?: string; readonly pricePerUnit?: { USD?: string } }>
          >;
        }
      >
    >;
  };
}

/** What a SmartScale worker runs: Linux, shared tenancy, no licensed software, a used (not reserved) instance. */
const WORKER_ATTRIBUTES: Readonly<Record<string, string>> = {
  operatingSystem: 'Linux',
  tenancy: 'Shared',
  preInstalledSw: 'NA',
  capacitystatus: 'Used',
  licenseModel: 'No License required',
};

/**
 * Hourly on-demand USD by instance type from GetProducts' `PriceList` (each
 * entry a JSON document). Entries for other operating systems, tenancies,
 * software or capacity states are skipped; an entry that is not JSON, or a
 * worker product without one hourly USD price, throws naming its index.
 *
 * @example
 * parseOnDemandPriceList(res.PriceList ?? []) // Map { 't3.medium' => 0.0416 }
 */
export function parseOnDemandPriceList(priceList: readonly string[]): Map<string, number> {
  const prices = new Map<string, number>();
  priceList.forEach((raw, n) => {
    let item: PriceListItem;
    try {
      item = JSON.parse(raw) as PriceListItem;
    } catch (err) {
      throw new Error(`PriceList[${n}] is not JSON: ${(err as Error).message}`);
    }
    const attributes = item.product?.attributes ?? {};
    const type = attributes.instanceType;
    if (item.product?.productFamily !== 'Compute Instance' || type === undefined) return;
    if (Object.entries(WORKER_ATTRIBUTES).some(([k, v]) => attributes[k] !== v)) return;
    const hourly = Object.values(item.terms?.OnDemand ?? {})
      .flatMap((term) => Object.values(term.priceDimensions ?? {}))
      .filter((d) => d.unit === 'Hrs' && d.pricePerUnit?.USD !== undefined)
      .map((d) => Number(d.pricePerUnit?.USD));
    const price = hourly[0];
    if (hourly.length !== 1 || price === undefined || !Number.isFinite(price) || price < 0)
      throw new Error(
        `PriceList[${n}] (${type}): expected one hourly USD on-demand price, got ${JSON.stringify(hourly)}`,
      );
    prices.set(type, price);
  });
  return prices;
}

/**
 * On-demand prices of `instanceTypes` in `region` from the Price List API
 * (every page of GetProducts, filtered to SmartScale's workers).
 *
 * @example
 * await fetchOnDemandPrices(new PricingClient({ region: 'us-east-1' }), 'eu-west-1', ['t3.medium'])
 */
export async function fetchOnDemandPrices(
  pricing: PricingClient,
  region: string,
  instanceTypes: readonly string[],
): Promise<Map<string, number>> {
  const prices = new Map<string, number>();
  for (const instanceType of instanceTypes) {
    let nextToken: string | undefined;
    do {
      const res = await pricing.send(
        new GetProductsCommand({
          ServiceCode: 'AmazonEC2',
          Filters: [
            { Type: 'TERM_MATCH', Field: 'regionCode', Value: region },
            { Type: 'TERM_MATCH', Field: 'instanceType', Value: instanceType },
            ...Object.entries(WORKER_ATTRIBUTES).map(([Field, Value]) => ({
              Type: 'TERM_MATCH' as const,
              Field,
              Value,
            })),
          ],
          NextToken: nextToken,
        }),
      );
      for (const [type, price] of parseOnDemandPriceList(res.PriceList ?? []))
        prices.set(type, price);
      nextToken = res.NextToken;
    } while (nextToken);
  }
  return prices;
}

/**
 * The text of packages/core/src/on-demand-prices.ts for `table`, stamped
 * with the source and the day it was fetched.
 */
export function renderOnDemandPrices(
  table: ReadonlyMap<string, ReadonlyMap<string, number>>,
  fetchedOn: string,
): string {
  const regions = [...table.keys()].sort();
  const body = regions
    .map((region) => {
      const types = [...(table.get(region) ?? new Map()).entries()].sort(([a], [b]) =>
        a.localeCompare(b),
      );
      return `  '${region}': {\n${types.map(([t, p]) => `    '${t}': ${p},`).join('\n')}\n  },`;
    })
    .join('\n');
  return `// On-demand hourly prices in USD, Linux, shared tenancy, by region and
// instance type: the table SmartScale's cost model reads.
//
// Source: the AWS Price List API (GetProducts, service AmazonEC2), fetched
// on ${fetchedOn} by \`npm run prices:refresh\` (packages/aws/src/price-list.ts).
// A type or region missing here is priced at \`pricing.onDemandHourlyUsd\`.

/** Where the table comes from and when it was made. */
export const ON_DEMAND_PRICES_SOURCE = {
  source: 'AWS Price List API (GetProducts, AmazonEC2, Linux, shared tenancy)',
  retrievedAt: '${fetchedOn}',
} as const;

/** USD per hour by region, then instance type. */
export const ON_DEMAND_HOURLY_USD: Readonly<Record<string, Readonly<Record<string, number>>>> = {
${body}
};
`;
}
