// Static analysis of the AWS API calls a service's code can make, for the
// least-privilege check (iam-usage.test.ts). A ts.Program and its type
// checker resolve every reference in a service's own files to its
// declaration in library code (packages/*/src); those declarations are
// walked in turn, collecting `new XxxCommand(...)` and `paginateXxx(...)`
// from the AWS SDK. Only what is referenced is walked: constructing a class
// walks its constructor, not its methods, so a service that builds an
// Ec2Fleet but never calls `launch` does not "use" RunInstances.
import path from 'node:path';
import ts from 'typescript';

/** One AWS SDK call site reachable from a service. */
export interface SdkCall {
  /** The SDK package without scope, e.g. `client-sqs`, `lib-dynamodb`. */
  readonly module: string;
  /** `SendMessageCommand`, `paginateDescribeInstances`, or an unsupported SDK function. */
  readonly name: string;
  readonly kind: 'command' | 'paginator' | 'other';
  /** The request object as written (first argument of a command, second of a paginator). */
  readonly input: ts.Expression | undefined;
  /** The declaration containing the call, e.g. `DedupStore.claim`. */
  readonly owner: string;
  /** The class containing the call, if any (e.g. `DedupStore`). */
  readonly ownerClass: string | undefined;
  /** How the service reaches it: the service's reference first, then each declaration walked. */
  readonly via: readonly string[];
  /** `file:line` of the call. */
  readonly site: string;
}

export interface AnalyserOptions {
  /** Library files whose declarations are followed (their code ships with the service). */
  isLibraryFile(fileName: string): boolean;
  /** Base directory for the file names in messages. */
  readonly root: string;
}

/** Library code of this repository: `packages/<name>/src/**`. */
export function isRepositoryLibrary(fileName: string): boolean {
  return /\/packages\/[^/]+\/src\//.test(fileName) && !fileName.includes('/node_modules/');
}

/** The compiler options of tsconfig.json, for a program over the services. */
export function repositoryProgram(root: string, rootFiles: readonly string[]): ts.Program {
  const configPath = path.join(root, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, ts.sys.readFile);
  if (read.error) {
    throw new Error(
      `cannot read ${configPath}: ${ts.flattenDiagnosticMessageText(read.error.messageText, '\n')}`,
    );
  }
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, root);
  return ts.createProgram({ rootNames: [...rootFiles], options: parsed.options });
}

const SDK_FILE = /\/node_modules\/@aws-sdk\/([^/]+)\//;
// Methods of SDK clients that make no AWS request of their own (`send` takes
// a Command, which is collected where it is constructed).
const NON_REQUEST_METHODS = new Set(['send', 'destroy', 'from']);

interface Unit {
  readonly node: ts.Node;
  readonly label: string;
  readonly from: Unit | undefined;
}

function isFunctionLike(node: ts.Node | undefined): boolean {
  return (
    node !== undefined &&
    (ts.isArrowFunction(node) ||
      ts.isFunctionExpression(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node))
  );
}

function nameOf(node: ts.Node): string | undefined {
  const name = (node as { name?: ts.Node }).name;
  if (name && (ts.isIdentifier(name) || ts.isPrivateIdentifier(name) || ts.isStringLiteral(name)))
    return name.text;
  return undefined;
}

function enclosingClass(node: ts.Node): ts.ClassLikeDeclaration | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) if (ts.isClassLike(n)) return n;
  return undefined;
}

function enclosingNamed(node: ts.Node): string | undefined {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isVariableDeclaration(n))
      return nameOf(n);
  }
  return undefined;
}

/** A readable name for a declaration: `Class.method`, `new Class`, `fn`, `fn().member`. */
function describe(node: ts.Node): string {
  const cls = enclosingClass(node);
  const className = cls?.name?.text ?? '(class)';
  if (ts.isConstructorDeclaration(node)) return `new ${className}`;
  if (ts.isClassLike(node)) return `new ${node.name?.text ?? '(class)'}`;
  const own = nameOf(node) ?? nameOf(node.parent) ?? '(anonymous)';
  if (
    cls &&
    (ts.isMethodDeclaration(node) || ts.isAccessor(node) || ts.isPropertyDeclaration(node))
  )
    return `${className}.${own}`;
  const literal =
    node.parent && (ts.isObjectLiteralExpression(node.parent) ? node.parent : node.parent.parent);
  if (literal && ts.isObjectLiteralExpression(literal))
    return `${enclosingNamed(node) ?? '(object)'}().${own}`;
  // A function kept in a local constant: `createMessageHandler/reject`.
  const declaration = ts.isVariableDeclaration(node) ? node : node.parent;
  const outer = ts.isVariableDeclaration(declaration) ? enclosingNamed(declaration) : undefined;
  return outer ? `${outer}/${own}` : own;
}

/** The function or method around a call, e.g. `DedupStore.claim` or `createMessageHandler`. */
function ownerOf(node: ts.Node, root: string): string {
  for (let n: ts.Node | undefined = node.parent; n; n = n.parent) {
    if (
      ts.isFunctionDeclaration(n) ||
      ts.isMethodDeclaration(n) ||
      ts.isConstructorDeclaration(n) ||
      ts.isAccessor(n)
    )
      return describe(n);
    if (
      (ts.isArrowFunction(n) || ts.isFunctionExpression(n)) &&
      (ts.isVariableDeclaration(n.parent) || ts.isPropertyAssignment(n.parent))
    )
      return describe(n);
  }
  return path.relative(root, node.getSourceFile().fileName);
}

function site(node: ts.Node, root: string): string {
  const file = node.getSourceFile();
  const { line } = file.getLineAndCharacterOfPosition(node.getStart());
  return `${path.relative(root, file.fileName)}:${line + 1}`;
}

function chain(unit: Unit): string[] {
  const out: string[] = [];
  for (let u: Unit | undefined = unit; u; u = u.from) out.unshift(u.label);
  return out;
}

/**
 * Every AWS SDK call reachable from `entryFiles` (a service's own source,
 * all of which counts as used). Library declarations are walked only when
 * referenced. Members of an object literal that implements an interface
 * declared in library code (e.g. the ServiceContext returned by
 * createServiceContext) are walked only when that interface member is
 * referenced, like methods of a class.
 */
export function sdkCallsOf(
  program: ts.Program,
  entryFiles: readonly string[],
  options: AnalyserOptions,
): SdkCall[] {
  const checker = program.getTypeChecker();
  const implementations =
    cachedIndex.get(program) ?? implementationIndex(program, checker, options);
  cachedIndex.set(program, implementations);
  const seen = new Set<ts.Node>();
  const queue: Unit[] = [];
  const calls: SdkCall[] = [];
  // A call site can be reached twice (its function, then a variable it initializes).
  const recorded = new Set<ts.Node>();

  const enqueue = (node: ts.Node | undefined, label: string, from: Unit | undefined): void => {
    if (!node || seen.has(node)) return;
    seen.add(node);
    queue.push({ node, label, from });
  };

  // What walking a referenced declaration means.
  const bodiesOf = (decl: ts.Declaration): ts.Node[] => {
    if (
      ts.isFunctionDeclaration(decl) ||
      ts.isMethodDeclaration(decl) ||
      ts.isConstructorDeclaration(decl) ||
      ts.isAccessor(decl) ||
      ts.isArrowFunction(decl) ||
      ts.isFunctionExpression(decl)
    )
      return [decl];
    if (ts.isVariableDeclaration(decl) || ts.isPropertyDeclaration(decl))
      return decl.initializer ? [decl.initializer] : [];
    if (ts.isPropertyAssignment(decl)) return [decl.initializer];
    if (ts.isClassLike(decl)) {
      // Constructing runs the constructor and field initializers, not methods.
      const parts: ts.Node[] = [];
      for (const m of decl.members) {
        if (ts.isConstructorDeclaration(m)) parts.push(m);
        else if (ts.isPropertyDeclaration(m) && m.initializer) parts.push(m.initializer);
        else if (ts.isClassStaticBlockDeclaration(m)) parts.push(m);
      }
      for (const clause of decl.heritageClauses ?? [])
        if (clause.token === ts.SyntaxKind.ExtendsKeyword)
          for (const t of clause.types) parts.push(t.expression);
      return parts;
    }
    if (ts.isPropertySignature(decl) || ts.isMethodSignature(decl))
      return implementations.members.get(decl) ?? [];
    return [];
  };

  const follow = (symbol: ts.Symbol | undefined, reference: ts.Node, unit: Unit): void => {
    let s = symbol;
    if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
    for (const decl of s?.declarations ?? []) {
      if (!options.isLibraryFile(decl.getSourceFile().fileName)) continue;
      // The service's own reference is named by its text and place.
      const from =
        unit.from === undefined
          ? {
              node: reference,
              label: `${referenceText(reference)} (${site(reference, options.root)})`,
              from: unit,
            }
          : unit;
      for (const body of bodiesOf(decl)) {
        const interfaceMember = ts.isPropertySignature(decl) || ts.isMethodSignature(decl);
        enqueue(body, describe(interfaceMember ? body : decl), from);
      }
    }
  };

  const recordSdk = (node: ts.CallExpression | ts.NewExpression, unit: Unit): void => {
    let s = checker.getSymbolAtLocation(node.expression);
    if (s && s.flags & ts.SymbolFlags.Alias) s = checker.getAliasedSymbol(s);
    const decl = s?.declarations?.[0];
    const module = decl ? SDK_FILE.exec(decl.getSourceFile().fileName)?.[1] : undefined;
    if (!s || !decl || !module) return;
    const name = s.getName();
    let kind: SdkCall['kind'];
    let input: ts.Expression | undefined;
    if (ts.isNewExpression(node)) {
      if (!name.endsWith('Command')) return; // clients and other SDK classes make no request
      kind = 'command';
      input = node.arguments?.[0];
    } else if (name.startsWith('paginate')) {
      kind = 'paginator';
      input = node.arguments[1];
    } else if (name.startsWith('waitUntil') || name.startsWith('waitFor')) {
      kind = 'other';
      input = node.arguments[1];
    } else if (
      (ts.isMethodDeclaration(decl) || ts.isMethodSignature(decl)) &&
      !NON_REQUEST_METHODS.has(name)
    ) {
      // e.g. the aggregated `DynamoDBDocument.put(...)`: an AWS request without a Command.
      kind = 'other';
      input = node.arguments[0];
    } else return;
    if (recorded.has(node)) return;
    recorded.add(node);
    const cls = enclosingClass(node);
    calls.push({
      module,
      name,
      kind,
      input,
      owner: ownerOf(node, options.root),
      ownerClass: cls?.name?.text,
      via: chain(unit).slice(1),
      site: site(node, options.root),
    });
  };

  const walk = (unit: Unit): void => {
    const isEntry = unit.from === undefined;
    const visit = (node: ts.Node): void => {
      if (
        ts.isImportDeclaration(node) ||
        ts.isExportDeclaration(node) ||
        ts.isInterfaceDeclaration(node) ||
        ts.isTypeAliasDeclaration(node) ||
        ts.isTypeNode(node)
      )
        return;
      // Interface implementations' methods run only when the member is used.
      if (!isEntry && node !== unit.node && implementations.lazy.has(node)) return;
      if (ts.isCallExpression(node) || ts.isNewExpression(node)) recordSdk(node, unit);
      if (ts.isIdentifier(node) || ts.isPrivateIdentifier(node)) {
        const parent = node.parent;
        if (ts.isShorthandPropertyAssignment(parent) && parent.name === node)
          follow(checker.getShorthandAssignmentValueSymbol(parent), node, unit);
        else if (!isDeclarationName(node)) follow(checker.getSymbolAtLocation(node), node, unit);
      }
      ts.forEachChild(node, visit);
    };
    visit(unit.node);
  };

  for (const fileName of entryFiles) {
    const file = program.getSourceFile(fileName);
    if (!file) throw new Error(`${fileName} is not in the program: expected a service source file`);
    enqueue(file, path.relative(options.root, fileName), undefined);
  }
  for (let unit = queue.shift(); unit; unit = queue.shift()) walk(unit);
  return calls;
}

function isDeclarationName(node: ts.Identifier | ts.PrivateIdentifier): boolean {
  const parent = node.parent as ts.Node & { name?: ts.Node };
  return (
    parent.name === node &&
    (ts.isFunctionDeclaration(parent) ||
      ts.isVariableDeclaration(parent) ||
      ts.isParameter(parent) ||
      ts.isPropertyAssignment(parent) ||
      ts.isPropertyDeclaration(parent) ||
      ts.isMethodDeclaration(parent) ||
      ts.isAccessor(parent) ||
      ts.isClassLike(parent) ||
      ts.isBindingElement(parent))
  );
}

/** `ctx.lock.acquire` rather than just `acquire`, for messages. */
function referenceText(node: ts.Node): string {
  let n = node;
  while (ts.isPropertyAccessExpression(n.parent) && n.parent.name === n) n = n.parent;
  return n.getText();
}

// Built once per program: every service of one program shares it.
const cachedIndex = new WeakMap<ts.Program, Implementations>();

interface Implementations {
  /** Interface member declaration -> object literal members that implement it. */
  readonly members: Map<ts.Declaration, ts.Node[]>;
  /** Function-valued members of such literals, walked only through the interface. */
  readonly lazy: Set<ts.Node>;
}

/**
 * Object literals in library code typed by an interface also declared in
 * library code, e.g. `return { once: ..., publish: ... }` as ServiceContext:
 * a reference to `ServiceContext.once` reaches the literal's `once`.
 */
function implementationIndex(
  program: ts.Program,
  checker: ts.TypeChecker,
  options: AnalyserOptions,
): Implementations {
  const members = new Map<ts.Declaration, ts.Node[]>();
  const lazy = new Set<ts.Node>();
  for (const file of program.getSourceFiles()) {
    if (!options.isLibraryFile(file.fileName)) continue;
    const visit = (node: ts.Node): void => {
      if (ts.isObjectLiteralExpression(node)) {
        const type = checker.getContextualType(node);
        for (const prop of type ? node.properties : []) {
          const name = nameOf(prop);
          const signatures = (name && type?.getProperty(name)?.declarations) || [];
          for (const sig of signatures) {
            if (!(ts.isPropertySignature(sig) || ts.isMethodSignature(sig))) continue;
            if (!options.isLibraryFile(sig.getSourceFile().fileName)) continue;
            const body = ts.isPropertyAssignment(prop) ? prop.initializer : prop;
            members.set(sig, [...(members.get(sig) ?? []), body]);
            if (isFunctionLike(body)) lazy.add(body);
          }
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(file);
  }
  return { members, lazy };
}

/** What one SDK call needs from IAM. */
export type IamNeed =
  | {
      readonly ok: true;
      readonly actions: readonly string[];
      /** A DynamoDB Query on a secondary index (IAM resource `table/<name>/index/*`). */
      readonly onIndex?: boolean;
    }
  | { readonly ok: false; readonly problem: string };

// SDK calls whose IAM actions do not depend on the request.
const FIXED_ACTIONS: Readonly<Record<string, readonly string[]>> = {
  'lib-dynamodb GetCommand': ['dynamodb:GetItem'],
  'lib-dynamodb PutCommand': ['dynamodb:PutItem'],
  'lib-dynamodb UpdateCommand': ['dynamodb:UpdateItem'],
  'lib-dynamodb DeleteCommand': ['dynamodb:DeleteItem'],
  'client-ec2 paginateDescribeInstances': ['ec2:DescribeInstances'],
  'client-ec2 DescribeInstancesCommand': ['ec2:DescribeInstances'],
  'client-ec2 DescribeInstanceTypesCommand': ['ec2:DescribeInstanceTypes'],
  'client-ec2 paginateDescribeInstanceTypes': ['ec2:DescribeInstanceTypes'],
  'client-ec2 DescribeSpotPriceHistoryCommand': ['ec2:DescribeSpotPriceHistory'],
  'client-ec2 paginateDescribeSpotPriceHistory': ['ec2:DescribeSpotPriceHistory'],
  'client-ec2 TerminateInstancesCommand': ['ec2:TerminateInstances'],
  'client-sns PublishCommand': ['sns:Publish'],
  'client-sqs SendMessageCommand': ['sqs:SendMessage'],
  'client-sqs ReceiveMessageCommand': ['sqs:ReceiveMessage'],
  // Batch calls are authorized as their single-message actions.
  'client-sqs DeleteMessageBatchCommand': ['sqs:DeleteMessage'],
  'client-sqs ChangeMessageVisibilityBatchCommand': ['sqs:ChangeMessageVisibility'],
  'client-sqs GetQueueAttributesCommand': ['sqs:GetQueueAttributes'],
  'client-ssm PutParameterCommand': ['ssm:PutParameter'],
  'client-s3 PutObjectCommand': ['s3:PutObject'],
  // Without s3:ListBucket a missing key answers AccessDenied, not NoSuchKey:
  // reading an object that may have expired needs both to tell the two apart.
  'client-s3 GetObjectCommand': ['s3:GetObject', 's3:ListBucket'],
};

// TransactWriteItems is authorized per item: each kind needs its own action.
const TRANSACT_ITEM_ACTIONS: Readonly<Record<string, string>> = {
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
};

function property(input: ts.Expression | undefined, name: string): ts.Expression | undefined {
  if (!input || !ts.isObjectLiteralExpression(input)) return undefined;
  for (const p of input.properties)
    if (ts.isPropertyAssignment(p) && nameOf(p) === name) return p.initializer;
  return undefined;
}

/**
 * The IAM actions an SDK call needs, from a small explicit table plus the
 * request where it matters (transaction item kinds, decryption, launch
 * tags). Anything else is a problem naming the call, so new SDK usage must
 * be added here before the least-privilege check passes.
 */
export function iamNeedOf(call: SdkCall): IamNeed {
  const key = `${call.module} ${call.name}`;
  const where = `${call.name} (@aws-sdk/${call.module}) in ${call.owner} at ${call.site}`;
  const literal = call.input && ts.isObjectLiteralExpression(call.input);
  const fixed = FIXED_ACTIONS[key];
  if (fixed) return { ok: true, actions: fixed };
  switch (key) {
    case 'lib-dynamodb QueryCommand':
      if (!literal)
        return {
          ok: false,
          problem: `${where}: expected an object literal input to see IndexName`,
        };
      return {
        ok: true,
        actions: ['dynamodb:Query'],
        onIndex: !!property(call.input, 'IndexName'),
      };
    case 'lib-dynamodb TransactWriteCommand': {
      const items = property(call.input, 'TransactItems');
      if (!items || !ts.isArrayLiteralExpression(items))
        return { ok: false, problem: `${where}: expected TransactItems as an array literal` };
      const actions: string[] = [];
      for (const item of items.elements) {
        const kinds = ts.isObjectLiteralExpression(item) ? item.properties.map(nameOf) : [];
        const action = kinds.length === 1 ? TRANSACT_ITEM_ACTIONS[kinds[0] ?? ''] : undefined;
        if (!action)
          return {
            ok: false,
            problem: `${where}: expected each transaction item to be { ConditionCheck | Put | Update | Delete: ... }, got ${item.getText().slice(0, 60)}`,
          };
        actions.push(action);
      }
      return { ok: true, actions };
    }
    case 'client-ssm GetParameterCommand': {
      const decrypt = property(call.input, 'WithDecryption');
      if (decrypt?.kind === ts.SyntaxKind.TrueKeyword)
        return { ok: true, actions: ['ssm:GetParameter', 'kms:Decrypt'] };
      if (!literal || !decrypt || decrypt.kind === ts.SyntaxKind.FalseKeyword)
        return literal
          ? { ok: true, actions: ['ssm:GetParameter'] }
          : {
              ok: false,
              problem: `${where}: expected an object literal input to see WithDecryption`,
            };
      return {
        ok: false,
        problem: `${where}: expected WithDecryption to be true or false literally`,
      };
    }
    case 'client-ec2 RunInstancesCommand':
      if (!literal)
        return {
          ok: false,
          problem: `${where}: expected an object literal input to see TagSpecifications`,
        };
      // Tagging at launch is authorized as ec2:CreateTags with ec2:CreateAction = RunInstances.
      // A launch from a template passes the template's instance profile role: iam:PassRole.
      return {
        ok: true,
        actions: [
          'ec2:RunInstances',
          ...(property(call.input, 'TagSpecifications') ? ['ec2:CreateTags'] : []),
          ...(property(call.input, 'LaunchTemplate') ? ['iam:PassRole'] : []),
        ],
      };
    case 'client-ec2 CreateFleetCommand':
      if (!literal)
        return {
          ok: false,
          problem: `${where}: expected an object literal input to see TagSpecifications`,
        };
      // An instant fleet launches through RunInstances on the caller's
      // behalf, so the caller needs both; tags at launch are CreateTags with
      // ec2:CreateAction = CreateFleet; the template's instance profile is passed.
      return {
        ok: true,
        actions: [
          'ec2:CreateFleet',
          'ec2:RunInstances',
          ...(property(call.input, 'TagSpecifications') ? ['ec2:CreateTags'] : []),
          ...(property(call.input, 'LaunchTemplateConfigs') ? ['iam:PassRole'] : []),
        ],
      };
    default:
      return {
        ok: false,
        problem: `${where}: no IAM mapping for this SDK call; add it to stacks/tests/unit/aws-calls.ts`,
      };
  }
}

/** One permission: an IAM action, optionally on a logical resource (`table:state`, `dlq:drainer`). */
export interface Grant {
  readonly action: string;
  readonly resource?: string;
  /** Why it is needed (the call and how the service reaches it), for messages. */
  readonly because?: string;
}

/**
 * The differences between what a service is granted and what it uses, one
 * sentence each: by action, and, for actions `onResource` selects, by
 * (action, resource) too. Empty when they agree.
 *
 * @example
 * compareGrants('drainer', granted, used, (a) => a.startsWith('dynamodb:'))
 * // ['drainer is granted dynamodb:DeleteItem but never calls it']
 */
export function compareGrants(
  service: string,
  granted: readonly Grant[],
  used: readonly Grant[],
  onResource: (action: string) => boolean = () => false,
): string[] {
  const problems: string[] = [];
  const byAction = (grants: readonly Grant[]) => new Map(grants.map((g) => [g.action, g]));
  const grantedActions = byAction(granted);
  const usedActions = byAction([...used].reverse()); // the first reason wins
  for (const action of [...grantedActions.keys()].sort())
    if (!usedActions.has(action))
      problems.push(`${service} is granted ${action} but never calls it`);
  for (const [action, g] of [...usedActions].sort(([a], [b]) => a.localeCompare(b)))
    if (!grantedActions.has(action))
      problems.push(
        `${service} calls ${action} (${g.because ?? 'no reason given'}) but is not granted it`,
      );

  const key = (g: Grant) => `${g.action} on ${g.resource ?? '(any resource)'}`;
  const pairs = (grants: readonly Grant[]) =>
    new Map(
      [...grants]
        .reverse()
        .filter(
          (g) => onResource(g.action) && grantedActions.has(g.action) && usedActions.has(g.action),
        )
        .map((g) => [key(g), g]),
    );
  const grantedPairs = pairs(granted);
  const usedPairs = pairs(used);
  for (const k of [...grantedPairs.keys()].sort())
    if (!usedPairs.has(k)) problems.push(`${service} is granted ${k} but never uses it there`);
  for (const [k, g] of [...usedPairs].sort(([a], [b]) => a.localeCompare(b)))
    if (!grantedPairs.has(k))
      problems.push(
        `${service} calls ${k} (${g.because ?? 'no reason given'}) but is not granted it there`,
      );
  return problems;
}
