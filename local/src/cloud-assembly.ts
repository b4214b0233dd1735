import * as fs from 'node:fs';
import * as path from 'node:path';

/** One CloudFormation resource of a synthesized template. */
export interface TemplateResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
}

/** A synthesized stack: its template's resources and where its file assets were staged. */
export interface AssemblyStack {
  readonly stackName: string;
  readonly resources: Readonly<Record<string, TemplateResource>>;
  /** Asset hash (the S3 key without `.zip`) → absolute folder or file of the staged asset. */
  readonly assets: ReadonlyMap<string, string>;
}

interface Manifest {
  readonly artifacts?: Record<string, { readonly type: string; readonly properties?: { readonly templateFile?: string; readonly file?: string } }>;
}

/**
 * Reads the stacks of a cloud assembly (`cdk.out/`): the same files `cdk deploy` would upload.
 * Nested assemblies (stages) are read too.
 */
export function readCloudAssembly(dir: string): AssemblyStack[] {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(manifestFile)) {
    throw new Error(`no synthesized app at ${dir} (manifest.json is missing): run \`npx cdk synth\` (in this project: \`npm run synth\`) first, or pass --app to synthesize one`);
  }
  const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8')) as Manifest;
  const artifacts = Object.entries(manifest.artifacts ?? {});
  const assets = new Map<string, string>();
  for (const [, artifact] of artifacts) {
    if (artifact.type === 'cdk:asset-manifest' && artifact.properties?.file) {
      const files = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.file), 'utf8')).files ?? {};
      for (const [hash, entry] of Object.entries<{ source: { path: string } }>(files)) {
        assets.set(hash, path.resolve(dir, entry.source.path));
      }
    }
  }
  return artifacts.flatMap(([id, artifact]): AssemblyStack[] => {
    if (artifact.type === 'aws:cloudformation:stack' && artifact.properties?.templateFile) {
      const template = JSON.parse(fs.readFileSync(path.join(dir, artifact.properties.templateFile), 'utf8'));
      return [{ stackName: id, resources: template.Resources ?? {}, assets }];
    }
    if (artifact.type === 'cdk:cloud-assembly' && artifact.properties && 'directoryName' in artifact.properties) {
      return readCloudAssembly(path.join(dir, String((artifact.properties as { directoryName: string }).directoryName)));
    }
    return [];
  });
}
