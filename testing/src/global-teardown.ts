import type { Emulator } from '@cdk-fanout/local';

export default async function globalTeardown(): Promise<void> {
  const emulators = (globalThis as { fanoutEmulators?: Emulator[] }).fanoutEmulators ?? [];
  await Promise.all(emulators.map((emulator) => emulator.stop()));
}
