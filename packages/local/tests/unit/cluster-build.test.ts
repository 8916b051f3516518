import { describe, expect, it } from 'vitest';
import {
  cacheRoot,
  compareGoVersions,
  stagingModules,
  stagingVersion,
  wrapperGoMod,
} from '../../src/cluster/binaries.ts';
import { kubeconfigYaml } from '../../src/cluster/certs.ts';
import { formatElapsed } from '../../src/cluster/progress.ts';
import { prometheusConfig } from '../../src/prometheus/start.ts';

const RELEASE_GO_MOD = `module k8s.io/kubernetes

go 1.25.0

require (
	k8s.io/api v0.0.0
	k8s.io/client-go v0.0.0
	github.com/spf13/cobra v1.10.0
)

replace (
	k8s.io/api => ./staging/src/k8s.io/api
	k8s.io/client-go => ./staging/src/k8s.io/client-go
	k8s.io/kube-openapi => k8s.io/kube-openapi v0.0.0-2025
	k8s.io/sample-apiserver => ./staging/src/k8s.io/sample-apiserver
)

replace k8s.io/kms => ./staging/src/k8s.io/kms
`;

describe('Kubernetes wrapper module', () => {
  it('finds every staging module, in block and single-line replaces, and nothing else', () => {
    expect(stagingModules(RELEASE_GO_MOD)).toEqual([
      'k8s.io/api',
      'k8s.io/client-go',
      'k8s.io/kms',
      'k8s.io/sample-apiserver',
    ]);
  });

  it('maps the release to the staging version', () => {
    expect(stagingVersion('v1.35.4')).toBe('v0.35.4');
    expect(stagingVersion('v1.36.0-rc.1')).toBe('v0.36.0-rc.1');
    expect(() => stagingVersion('1.35.4')).toThrow(/Expected a Kubernetes version like v1.35.4/);
  });

  it('requires the release and pins each staging module to its published twin', () => {
    const goMod = wrapperGoMod('v1.35.4', ['k8s.io/api', 'k8s.io/client-go'], '1.25.0');
    expect(goMod).toContain('require k8s.io/kubernetes v1.35.4');
    expect(goMod).toContain('go 1.25.0');
    expect(goMod).toContain('\tk8s.io/api => k8s.io/api v0.35.4\n');
    expect(goMod).toContain('\tk8s.io/client-go => k8s.io/client-go v0.35.4\n');
    expect(goMod).not.toContain('./staging');
  });

  it('keeps builds under XDG_CACHE_HOME, else ~/.cache', () => {
    expect(cacheRoot({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/smartscale');
    expect(cacheRoot({ XDG_CACHE_HOME: '', HOME: '/home/u' })).toMatch(/\/\.cache\/smartscale$/);
  });
});

describe('kubeconfigYaml', () => {
  it('always names the CA and never disables verification', () => {
    const token = kubeconfigYaml({
      server: 'https://127.0.0.1:6443',
      caCert: '/pki/ca.crt',
      user: { token: 'abc' },
    });
    expect(token).toContain('certificate-authority: /pki/ca.crt');
    expect(token).toContain('token: abc');
    expect(token).not.toContain('insecure-skip-tls-verify');
    const cert = kubeconfigYaml({
      server: 'https://127.0.0.1:6443',
      caCert: '/pki/ca.crt',
      user: { clientCert: '/pki/a.crt', clientKey: '/pki/a.key' },
    });
    expect(cert).toContain('client-certificate: /pki/a.crt');
    expect(cert).toContain('client-key: /pki/a.key');
  });
});

describe('formatElapsed', () => {
  it('prints seconds, then minutes with padded seconds', () => {
    expect(formatElapsed(4_400)).toBe('4s');
    expect(formatElapsed(65_000)).toBe('1m05s');
    expect(formatElapsed(600_000)).toBe('10m00s');
  });
});

describe('prometheusConfig', () => {
  it('writes one job per target set, honouring labels only when asked', () => {
    const yaml = prometheusConfig(
      [
        { job: 'load', targets: ['127.0.0.1:9100'], honorLabels: true },
        { job: 'ksm', targets: ['127.0.0.1:8080', '127.0.0.1:8081'] },
      ],
      2,
    );
    expect(yaml).toContain('scrape_interval: 2s');
    expect(yaml).toContain('- job_name: "load"\n    honor_labels: true');
    expect(yaml).toContain(
      '- job_name: "ksm"\n    static_configs:\n      - targets: ["127.0.0.1:8080","127.0.0.1:8081"]',
    );
  });

  it('gives labelled targets a static config of their own', () => {
    const yaml = prometheusConfig(
      [
        {
          job: 'node-exporter',
          targets: ['127.0.0.1:9100', '127.0.0.1:9101'],
          targetLabels: { '127.0.0.1:9101': { node: 'worker-b' } },
        },
      ],
      1,
    );
    expect(yaml).toContain(
      '    static_configs:\n      - targets: ["127.0.0.1:9100"]\n      - targets: ["127.0.0.1:9101"]\n        labels:\n          node: "worker-b"\n',
    );
  });
});

describe('compareGoVersions', () => {
  it('orders Go versions numerically', () => {
    expect(compareGoVersions('1.26.10', '1.26.9')).toBeGreaterThan(0);
    expect(compareGoVersions('1.26.5', '1.26.5')).toBe(0);
    expect(compareGoVersions('1.25', '1.26.5')).toBeLessThan(0);
    expect(compareGoVersions('1.27rc1', '1.26.5')).toBeGreaterThan(0);
  });
});
