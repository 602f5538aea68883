import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
type Compile = (schemaDefinition: unknown) => (data: unknown) => unknown;
type Builder = (externalSchemas: unknown, options: unknown) => Compile;

/**
 * Fastify compiles every route's validators (Ajv) and serializers (fast-json-stringify) when the server gets ready:
 * about a second of CPU for the admin API's hundred-odd routes, most of which a given installation never calls.
 * These compilers defer that to each function's first call (a route's first request compiles its own schemas,
 * a few milliseconds), so start-up does not pay for routes nobody uses. What they compile and how is Fastify's own
 * default (the same packages, resolved from Fastify), so validation and answers are unchanged.
 */
export function lazySchemaCompilers(): Required<CompilersFactory> & { compileAll(): number } {
  const pending = new Set<() => void>();
  const fromFastify = createRequire(createRequire(import.meta.url).resolve('fastify'));
  const lazyBuilder = (load: () => Builder, withErrors: boolean): Builder => {
    let builder: Builder | undefined;
    return (externalSchemas, options) => {
      let compile: Compile | undefined;
      return (definition) => {
        let fn: ((data: unknown) => unknown) | undefined;
        const make = () => {
          // The builder (an Ajv instance with the shared schemas) is made with the first function needed, too.
          builder ??= load();
          compile ??= builder(externalSchemas, options);
          fn = compile(definition);
          pending.delete(make);
          return fn;
        };
        pending.add(make);
        const lazy = (data: unknown) => {
          const f = fn ?? make();
          const result = f(data);
          // Fastify reads a failed validation's reasons from the function it was given (a pass needs nothing).
          if (withErrors && result !== true) (lazy as { errors?: unknown }).errors = (f as { errors?: unknown }).errors;
          return result;
        };
        return lazy;
      };
    };
  };
  return {
    buildValidator: lazyBuilder(() => fromFastify('@fastify/ajv-compiler')(), true) as NonNullable<CompilersFactory['buildValidator']>,
    buildSerializer: lazyBuilder(() => fromFastify('@fastify/fast-json-stringify-compiler')(), false) as NonNullable<
      CompilersFactory['buildSerializer']
    >,
    /** Compiles every function not compiled yet (a test proves each route's schemas compile); @returns how many. */
    compileAll() {
      const all = [...pending];
      for (const make of all) make();
      return all.length;
    },
  };
}
