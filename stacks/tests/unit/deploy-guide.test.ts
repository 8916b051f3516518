import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { policyDocument, serverInstanceIam } from '../../iam.ts';
import { names, topology } from '../../topology.ts';

// The guide a new user follows command by command: what it types must name
// what the stacks create, or the first deploy fails (issue #22).
const guide = readFileSync(new URL('../../../docs/deploy.md', import.meta.url), 'utf8');
// Only this stage is retained and protected (sst.config.ts).
const STAGE = 'production';

describe('docs/deploy.md matches the stacks', () => {
  it(`deploys and removes with --stage ${STAGE} only`, () => {
    const stages = [...guide.matchAll(/--stage[ =]([A-Za-z0-9-]+)/g)].map((m) => m[1]);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(new Set(stages)).toEqual(new Set([STAGE]));
    expect(readFileSync(new URL('../../../sst.config.ts', import.meta.url), 'utf8')).toContain(
      `'${STAGE}'`,
    );
  });

  it('names only parameters the stacks declare, under that stage', () => {
    const declared = Object.values(topology.parameters).map((p) => p.path);
    // The doctor's output against the local environment (section 5) is shown
    // as printed, under its own prefix; everything a user types is checked.
    const localOutput = /```\n\$ npx smartscale doctor --kube-api-url[\s\S]*?```/;
    expect(guide).toMatch(localOutput);
    const typed = guide.replace(localOutput, '');
    const used = [...typed.matchAll(/\/smartscale-([a-z0-9-]+)(\/[a-z0-9/-]+)/g)];
    expect(used.length).toBeGreaterThanOrEqual(5);
    for (const [text, stage, path] of used) {
      expect(stage, text).toBe(STAGE);
      expect(declared, `${text}: not a parameter of stacks/topology.ts`).toContain(path);
    }
  });

  it('uses one instance type in the launch template command and the policy example', () => {
    const template = /create-launch-template\.sh \S+ \S+ (\S+)/.exec(guide)?.[1];
    const policy = /"instance": \{ "type": "([^"]+)"/.exec(guide)?.[1];
    expect(template).toBeDefined();
    expect(policy).toBe(template);
  });

  // Finding 2 of issue #22: the server uploads the tokens and the CA with its
  // instance role, so the policy the guide prints must cover exactly those.
  it("prints the K3s server role's policy exactly as stacks/iam.ts builds it", () => {
    const printed = /```json\n(\{\n {2}"Version"[\s\S]*?)```/.exec(guide)?.[1];
    expect(printed, 'the server policy block in section 1').toBeDefined();
    const built = policyDocument(
      serverInstanceIam({
        arn: (ref) =>
          ref.kind === 'parameter'
            ? `arn:aws:ssm:<region>:<account-id>:parameter${names.parameter(`smartscale-${STAGE}`, ref.name)}`
            : `not a parameter: ${ref.kind}`,
      }),
    );
    expect(JSON.parse(printed ?? '')).toEqual(built);
  });
});
