// The Price List parsing, on a GetProducts PriceList written by hand from
// the documented response shape (each entry a JSON string with product,
// serviceCode and terms.OnDemand.<offer>.priceDimensions.<rate>).
import { describe, expect, it } from 'vitest';
import { parseOnDemandPriceList, renderOnDemandPrices } from '../../src/price-list.js';

function product(
  instanceType: string,
  usd: string,
  attributes: Record<string, string> = {},
  unit = 'Hrs',
): string {
  return JSON.stringify({
    product: {
      productFamily: 'Compute Instance',
      sku: 'ABCDEFGHIJKLMNOP',
      attributes: {
        instanceType,
        regionCode: 'us-east-1',
        location: 'US East (N. Virginia)',
        operatingSystem: 'Linux',
        tenancy: 'Shared',
        preInstalledSw: 'NA',
        capacitystatus: 'Used',
        licenseModel: 'No License required',
        vcpu: '2',
        memory: '4 GiB',
        ...attributes,
      },
    },
    serviceCode: 'AmazonEC2',
    terms: {
      OnDemand: {
        'ABCDEFGHIJKLMNOP.JRTCKXETXF': {
          offerTermCode: 'JRTCKXETXF',
          sku: 'ABCDEFGHIJKLMNOP',
          effectiveDate: '2026-11-01T00:00:00Z',
          priceDimensions: {
            'ABCDEFGHIJKLMNOP.JRTCKXETXF.6YS6EN2CT7': {
              unit,
              endRange: 'Inf',
              beginRange: '0',
              description: `$${usd} per On Demand Linux ${instanceType} Instance Hour`,
              rateCode: 'ABCDEFGHIJKLMNOP.JRTCKXETXF.6YS6EN2CT7',
              pricePerUnit: { USD: usd },
            },
          },
          termAttributes: {},
        },
      },
    },
    version: '20261101000000',
    publicationDate: '2026-11-01T00:00:00Z',
  });
}

describe('parseOnDemandPriceList', () => {
  it('reads the hourly USD price of Linux shared-tenancy products by type', () => {
    const prices = parseOnDemandPriceList([
      product('t3.medium', '0.0416000000'),
      product('m7g.large', '0.0816000000'),
    ]);
    expect([...prices]).toEqual([
      ['t3.medium', 0.0416],
      ['m7g.large', 0.0816],
    ]);
  });

  it('skips products a worker is not: Windows, dedicated, reserved capacity, other families', () => {
    const prices = parseOnDemandPriceList([
      product('t3.medium', '0.0592', { operatingSystem: 'Windows' }),
      product('t3.medium', '0.0500', { tenancy: 'Dedicated' }),
      product('t3.medium', '0.0416', { capacitystatus: 'UnusedCapacityReservation' }),
      JSON.stringify({ product: { productFamily: 'Storage', attributes: {} } }),
    ]);
    expect(prices.size).toBe(0);
  });

  it('names the entry that is not JSON or has no hourly price', () => {
    expect(() => parseOnDemandPriceList([product('t3.medium', '0.0416'), '{oops'])).toThrow(
      /^PriceList\[1\] is not JSON/,
    );
    expect(() => parseOnDemandPriceList([product('t3.large', '0.0832', {}, 'Quantity')])).toThrow(
      'PriceList[0] (t3.large): expected one hourly USD on-demand price, got []',
    );
  });
});

describe('renderOnDemandPrices', () => {
  it('writes a table the cost model can import, stamped with source and date', () => {
    const text = renderOnDemandPrices(
      new Map([
        [
          'us-east-1',
          new Map([
            ['t3.medium', 0.0416],
            ['m7g.large', 0.0816],
          ]),
        ],
      ]),
      '2026-12-02',
    );
    expect(text).toContain("retrievedAt: '2026-12-02'");
    expect(text).toContain(
      "  'us-east-1': {\n    'm7g.large': 0.0816,\n    't3.medium': 0.0416,\n  },",
    );
  });
});
