/**
 * Where the public Powertools for AWS Lambda layers are published: names, publishing accounts,
 * versions per region. Data only; `powertools-layer.ts` chooses the layer of a function from it,
 * and test/seams/deploy-constraints.ts checks every synthesized layer ARN against it. A region
 * that a table does not list has no version of that layer at all.
 *
 * Update from the Powertools docs when a new layer version is published (CONTRIBUTING.md, Seams).
 */

/**
 * The accounts that publish the Powertools layers outside the commercial partition. The
 * TypeScript and the Python layers use the same ones (Powertools TypeScript docs,
 * getting-started/lambda-layers.md; Powertools Python docs, getting-started/install.md, sections
 * "AWS China regions" and "AWS GovCloud regions").
 */
export const POWERTOOLS_LAYER_ACCOUNTS: Readonly<Record<string, string>> = {
  'us-gov-west-1': '165093116878',
  'us-gov-east-1': '165087284144',
  'cn-north-1': '498634801083',
  'cn-northwest-1': '498634801083',
};

// ---------------------------------------------------------------------------------------------
// Powertools for AWS Lambda (TypeScript): AWSLambdaPowertoolsTypeScriptV2, one layer for every
// architecture. Its name, commercial account and pinned version are in DEFAULTS (defaults.ts).
// ---------------------------------------------------------------------------------------------

/**
 * The newest `AWSLambdaPowertoolsTypeScriptV2` version published in each region. A region that is
 * not listed has no version at all: synth fails there unless the layer is turned off or a version
 * is given. Source: the Powertools for AWS Lambda (TypeScript) layer docs and deploy workflow
 * (aws-powertools/powertools-lambda-typescript, docs/getting-started/lambda-layers.md and
 * .github/workflows/reusable_deploy_layer_stack.yml, 2026-08-20): version 50 in every commercial
 * region listed below, GovCloud and cn-north-1; me-south-1 and me-central-1 paused at 46 and 45;
 * nothing in ap-east-2, ap-southeast-6 (requests #4451, #5235) or cn-northwest-1. Older versions
 * stay published, so a version up to the newest exists.
 */
export const POWERTOOLS_LAYER_NEWEST_VERSION: Readonly<Record<string, number>> = {
  ...Object.fromEntries([
    'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'af-south-1', 'ap-east-1', 'ap-south-1', 'ap-south-2',
    'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3',
    'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7', 'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2',
    'eu-west-1', 'eu-west-2', 'eu-west-3', 'eu-south-1', 'eu-south-2', 'eu-north-1', 'sa-east-1', 'il-central-1',
    'mx-central-1', 'us-gov-west-1', 'us-gov-east-1', 'cn-north-1',
  ].map((region) => [region, 50])),
  'me-south-1': 46,
  'me-central-1': 45,
};

/**
 * The oldest Node.js runtime the TypeScript layer is built for: its `compatibleRuntimes` are
 * nodejs22.x and nodejs24.x since Powertools dropped Node.js 20 (powertools-lambda-typescript
 * PR #5218, 2026-04-30). An older Node.js runtime gets no layer.
 */
export const POWERTOOLS_TYPESCRIPT_LAYER_MIN_NODE = 22;

// ---------------------------------------------------------------------------------------------
// Powertools for AWS Lambda (Python) v3: one layer per Python version and architecture,
// AWSLambdaPowertoolsPythonV3-python313-arm64, AWSLambdaPowertoolsPythonV3-python313-x86_64.
//
// Sources, read 2026-12-02:
// - aws-powertools/powertools-lambda-python docs/getting-started/install.md
//   (https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/), "Lambda
//   Layer": arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-{python_version}-{x86_64|arm64}:{version},
//   {python_version} without the period (python313); China (cn-north-1, 498634801083) and
//   GovCloud (us-gov-east-1 165087284144, us-gov-west-1 165093116878) tables.
// - docs/includes/_layer_homepage_x86.md (the regional table, at layer version 27): the
//   commercial regions listed in POWERTOOLS_PYTHON_LAYER_NEWEST_VERSION, Python 3.9 to 3.14.
// - PR #8438 "fix(docs): keep China layer versions aligned" (2026-09-04, issue #8437): commercial
//   and China ARNs at version 37; Python 3.10 to 3.14 supported; Python 3.9 ends at version 27;
//   GovCloud versions are deployed independently and were not advanced in the docs (they show 27).
// - Issue #8434 (2026-09-04): Powertools dropped Python 3.9 in v3.24.0; its layers stop at 27.
// - Issue #8421 (2026-09-03): Python 3.14 versions 1 to 26 are private placeholders (published only
//   to align version numbers), so its first usable version is 27.
// - Issue #8022 (2026-03-04): layer releases waited on me-central-1 during its outage; the docs
//   read show me-central-1 and me-south-1 at 27 and no later version is documented there.
// - Not published: ap-east-2, ap-southeast-6 (request #7355, open), cn-northwest-1 (China docs
//   list cn-north-1 only), eusc-de-east-1 (request #8000, open).
// ---------------------------------------------------------------------------------------------

/** The name prefix, commercial publishing account and the version this library pins. */
export const POWERTOOLS_PYTHON_LAYER = {
  namePrefix: 'AWSLambdaPowertoolsPythonV3',
  account: '017000801446',
  /** Pinned so a deployment is reproducible; override with `powertoolsLayerVersion`. */
  version: 37,
} as const;

/** `AWSLambdaPowertoolsPythonV3-python313-arm64` for python3.13 on ARM64. */
export function powertoolsPythonLayerName(pythonRuntime: string, architecture: string): string {
  return `${POWERTOOLS_PYTHON_LAYER.namePrefix}-${pythonRuntime.replace('.', '')}-${architecture}`;
}

/**
 * The newest `AWSLambdaPowertoolsPythonV3-*` version published in each region (the same number
 * for every Python version and architecture: Powertools keeps them aligned). Older versions stay
 * published.
 */
export const POWERTOOLS_PYTHON_LAYER_NEWEST_VERSION: Readonly<Record<string, number>> = {
  ...Object.fromEntries([
    'af-south-1', 'ap-east-1', 'ap-northeast-1', 'ap-northeast-2', 'ap-northeast-3', 'ap-south-1', 'ap-south-2',
    'ap-southeast-1', 'ap-southeast-2', 'ap-southeast-3', 'ap-southeast-4', 'ap-southeast-5', 'ap-southeast-7',
    'ca-central-1', 'ca-west-1', 'eu-central-1', 'eu-central-2', 'eu-north-1', 'eu-south-1', 'eu-south-2',
    'eu-west-1', 'eu-west-2', 'eu-west-3', 'il-central-1', 'mx-central-1', 'sa-east-1',
    'us-east-1', 'us-east-2', 'us-west-1', 'us-west-2', 'cn-north-1',
  ].map((region) => [region, 37])),
  'me-south-1': 27,
  'me-central-1': 27,
  'us-gov-east-1': 27,
  'us-gov-west-1': 27,
};

/**
 * The Lambda Python runtimes the layer is published for, with the versions that exist for them:
 * `last` when the runtime's layers stopped, `first` when the earlier versions are not public.
 * A Python runtime that is not listed (3.8 and older, or one newer than the docs) has no layer.
 */
export const POWERTOOLS_PYTHON_LAYER_RUNTIMES: Readonly<Record<string, { readonly first?: number; readonly last?: number }>> = {
  'python3.9': { last: 27 },
  'python3.10': {},
  'python3.11': {},
  'python3.12': {},
  'python3.13': {},
  'python3.14': { first: 27 },
};
