import type { TestProject } from 'vitest/node';
import { startMoto } from '../../local/src/aws/moto-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    motoEndpoint: string;
  }
}

/** Starts one moto server for the `aws` test project; each test file isolates itself by prefix. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const moto = await startMoto();
  project.provide('motoEndpoint', moto.endpoint);
  return () => moto.stop();
}
