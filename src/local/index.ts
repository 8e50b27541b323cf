/** cdk-serverless-patterns-local: run a synthesized app (cdk.out) on this machine. */
export { runLocalCloud, LocalCloud } from './cloud';
export type { IamStatus, LocalCloudOptions, UnsupportedResource } from './cloud';
export type { IamMode } from './iam';
export type { IamDenial } from './iam-gate';
export type { Delivery } from './deliveries';
export { LocalCloudError } from './errors';
export { CALLER_HEADER } from './http-api';
export type { HttpRequest, HttpResponse } from './http-api';
export type { InvokeResult } from './lambda';
export { readAssembly, selectStacks } from './assembly';
export type { CloudAssembly, AssemblyStack } from './assembly';
