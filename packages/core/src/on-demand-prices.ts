// On-demand hourly prices in USD, Linux, shared tenancy, by region and
// instance type: the table SmartScale's cost model reads.
//
// Source: AWS's published EC2 On-Demand rates for us-east-1 (Linux/UNIX,
// shared tenancy), transcribed on 2026-12-02 for the families SmartScale's
// README suggests; these list prices have not changed since each type's
// launch. They were NOT fetched from the Price List API in this environment
// (no AWS access here): run `npm run prices:refresh` with AWS credentials to
// regenerate this file from GetProducts, which also adds other regions.
// A type or region missing here is priced at `pricing.onDemandHourlyUsd`.

/** Where the table comes from and when it was made. */
export const ON_DEMAND_PRICES_SOURCE = {
  source: 'AWS EC2 On-Demand list prices, Linux/UNIX, shared tenancy (transcribed, not fetched)',
  retrievedAt: '2026-12-02',
} as const;

/** USD per hour by region, then instance type. */
export const ON_DEMAND_HOURLY_USD: Readonly<Record<string, Readonly<Record<string, number>>>> = {
  'us-east-1': {
    't3.micro': 0.0104,
    't3.small': 0.0208,
    't3.medium': 0.0416,
    't3.large': 0.0832,
    't3.xlarge': 0.1664,
    't3.2xlarge': 0.3328,
    't3a.micro': 0.0094,
    't3a.small': 0.0188,
    't3a.medium': 0.0376,
    't3a.large': 0.0752,
    't3a.xlarge': 0.1504,
    't3a.2xlarge': 0.3008,
    't4g.micro': 0.0084,
    't4g.small': 0.0168,
    't4g.medium': 0.0336,
    't4g.large': 0.0672,
    't4g.xlarge': 0.1344,
    't4g.2xlarge': 0.2688,
    'm5.large': 0.096,
    'm5.xlarge': 0.192,
    'm5.2xlarge': 0.384,
    'm6i.large': 0.096,
    'm6i.xlarge': 0.192,
    'm6i.2xlarge': 0.384,
    'm6a.large': 0.0864,
    'm6a.xlarge': 0.1728,
    'm6a.2xlarge': 0.3456,
    'm7i.large': 0.1008,
    'm7i.xlarge': 0.2016,
    'm7i.2xlarge': 0.4032,
    'm6g.medium': 0.0385,
    'm6g.large': 0.077,
    'm6g.xlarge': 0.154,
    'm7g.medium': 0.0408,
    'm7g.large': 0.0816,
    'm7g.xlarge': 0.1632,
    'c5.large': 0.085,
    'c5.xlarge': 0.17,
    'c6i.large': 0.085,
    'c6i.xlarge': 0.17,
    'c6g.medium': 0.034,
    'c6g.large': 0.068,
    'c6g.xlarge': 0.136,
    'c7g.medium': 0.0363,
    'c7g.large': 0.0725,
    'c7g.xlarge': 0.145,
    'r5.large': 0.126,
    'r5.xlarge': 0.252,
    'r6i.large': 0.126,
    'r6i.xlarge': 0.252,
  },
};
