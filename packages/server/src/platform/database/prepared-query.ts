import { randomBytes } from 'node:crypto';
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';

/** Names a value the query takes at each execution; returns a stand-in to build the query with. */
export type QueryParameter<Params> = <Name extends keyof Params & string>(
  name: Name,
) => Params[Name];

/** A query built and compiled once, executed with new values through any executor (a transaction too). */
export interface PreparedQuery<Tables, Params, Row> {
  execute(db: Kysely<Tables>, params: Params): Promise<QueryResult<Row>>;
}

interface Template {
  readonly compiled: CompiledQuery;
  /** Where each named value goes in `compiled.parameters`. */
  readonly slots: ReadonlyArray<readonly [index: number, name: string]>;
}

/**
 * A hot statement built once with Kysely instead of on every call. Building a query with Kysely's
 * builder and compiling it to SQL allocates and freezes a tree of nodes each time, which was
 * 10-12% of the refresh path's main-thread time for statements whose SQL never changes; the
 * statement itself is already prepared once per SQL text (node-sqlite-database.ts).
 *
 * `build` runs once per dialect (the first executor seen with that adapter), with stand-ins for
 * the named values; each stand-in must reach the compiled parameters exactly as given (a value
 * Kysely inlines into the SQL text is refused here, at the first execution). Values that are not
 * named stay what `build` put there. Executors with plugins are refused: a plugin's transform
 * would be skipped.
 */
export function preparedQuery<Tables, Params extends object, Row>(
  build: (db: Kysely<Tables>, param: QueryParameter<Params>) => Compilable<Row>,
): PreparedQuery<Tables, Params, Row> {
  // One per dialect adapter: a transaction's executor shares its database's adapter.
  const templates = new WeakMap<object, Template>();
  // Stand-ins no caller's value can equal: random per prepared query.
  const marker = `\u0000writ-parameter:${randomBytes(12).toString('base64url')}:`;

  const templateFor = (db: Kysely<Tables>): Template => {
    const executor = db.getExecutor();
    const known = templates.get(executor.adapter);
    if (known !== undefined) return known;
    if (executor.plugins.length > 0) {
      throw new Error('a prepared query cannot run through an executor with plugins');
    }
    const names = new Set<string>();
    const param = ((name: string) => {
      names.add(name);
      return `${marker}${name}`;
    }) as QueryParameter<Params>;
    const compiled = build(db, param).compile();
    const slots: Array<readonly [number, string]> = [];
    compiled.parameters.forEach((value, index) => {
      if (typeof value === 'string' && value.startsWith(marker)) {
        slots.push([index, value.slice(marker.length)]);
      }
    });
    for (const name of names) {
      if (!slots.some(([, slot]) => slot === name)) {
        throw new Error(`prepared query: parameter ${name} did not become a bound parameter`);
      }
    }
    if (compiled.sql.includes(marker)) {
      throw new Error('prepared query: a parameter was inlined into the SQL text');
    }
    const template: Template = { compiled, slots };
    templates.set(executor.adapter, template);
    return template;
  };

  return {
    async execute(db, params) {
      const { compiled, slots } = templateFor(db);
      const parameters = compiled.parameters.slice();
      for (const [index, name] of slots)
        parameters[index] = (params as Record<string, unknown>)[name];
      return db.executeQuery<Row>({ ...compiled, parameters } as CompiledQuery<Row>);
    },
  };
}
