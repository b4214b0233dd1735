import type { Emulator } from '../../local/src/emulators';

export default async function globalTeardown(): Promise<void> {
  const emulators = (globalThis as { fanoutEmulators?: Emulator[] }).fanoutEmulators ?? [];
  await Promise.all(emulators.map((emulator) => emulator.stop()));
}
