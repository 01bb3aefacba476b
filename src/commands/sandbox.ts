/** `ops sandbox`: every simulator on loopback until Ctrl-C, and the variables that point ops at them. */
import { createOutput, type GlobalFlags } from './context.js';

export interface SandboxFlags {
  centers: number;
  latency: number;
  errorRate: number;
  rateLimitRate: number;
  malformedRate: number;
  timeoutRate: number;
  port?: string;
}

export async function sandboxCommand(flags: GlobalFlags, opts: SandboxFlags): Promise<number> {
  const output = createOutput(flags);
  const { startSandbox } = await import('../sandbox/index.js');
  const faults = { latencyMs: opts.latency, errorRate: opts.errorRate, rateLimitRate: opts.rateLimitRate, timeoutRate: opts.timeoutRate };
  const port = opts.port ? Number(opts.port) : undefined;
  const sandbox = await startSandbox({
    centers: opts.centers,
    location: { ...faults, malformedRate: opts.malformedRate },
    llm: { ...faults, invalidEventRate: opts.malformedRate },
    locationPort: port,
    llmPort: port ? port + 1 : undefined,
  });
  if (flags.json) output.printJson({ env: sandbox.env });
  else {
    output.print('# simulators are running; paste these lines in another shell, then run ops there:');
    for (const [k, v] of Object.entries(sandbox.env)) process.stdout.write(`export ${k}=${v}\n`);
    output.print('# race events: add the simulated timing partners once, then discover and sync:');
    for (const [i, p] of sandbox.runsignup.partners.entries()) {
      output.print(`#   ops partners add --name "${p.name}" --provider runsignup --key-env RSU_PARTNER_${i + 1}_KEY --secret-env RSU_PARTNER_${i + 1}_SECRET`);
    }
    output.print('#   ops discover-events && ops sync-event --plan');
    output.print('# Ctrl-C stops them.');
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await sandbox.close();
  return 0;
}
