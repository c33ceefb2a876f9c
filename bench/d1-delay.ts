/**
 * The latency mode's D1: the real binding behind a proxy that makes every round trip wait `ms` first,
 * as a network hop to D1 would, and counts the round trips. A round trip is what reaches D1: a
 * statement's `first`, `all`, `run` or `raw`, a `batch`, an `exec`. `bind` and `prepare` do not go to
 * D1; `bind` answers a new statement, wrapped the same way, and a batch is handed the real statements
 * (the runtime refuses anything else). drizzle prepares, binds and calls `all`/`run`/`raw`, and batches
 * on the binding, so every query the app makes goes through here. Only the bench worker uses this.
 */

export interface D1Counter {
  roundTrips: number;
}

type Statement = D1PreparedStatement;

export function delayedD1(db: D1Database, ms: number, counter: D1Counter): D1Database {
  const wait = (): Promise<void> => {
    counter.roundTrips++;
    return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
  };
  // The real statement behind each wrapper, for batch().
  const real = new WeakMap<object, Statement>();

  const wrap = (statement: Statement): Statement => {
    const wrapper = {
      bind: (...values: unknown[]) => wrap(statement.bind(...values)),
      first: async (column?: string) => {
        await wait();
        return column === undefined ? statement.first() : statement.first(column);
      },
      run: async () => {
        await wait();
        return statement.run();
      },
      all: async () => {
        await wait();
        return statement.all();
      },
      raw: async (options?: { columnNames?: boolean }) => {
        await wait();
        return options?.columnNames ? statement.raw({ columnNames: true }) : statement.raw();
      },
    };
    real.set(wrapper, statement);
    return wrapper as unknown as Statement;
  };

  const delayed = {
    prepare: (query: string) => wrap(db.prepare(query)),
    batch: async (statements: Statement[]) => {
      await wait();
      return db.batch(statements.map((s) => real.get(s) ?? s));
    },
    exec: async (query: string) => {
      await wait();
      return db.exec(query);
    },
    // Not used by the app; passed through undelayed.
    withSession: (constraint?: D1SessionBookmark | D1SessionConstraint) => db.withSession(constraint),
    dump: () => db.dump(),
  };
  return delayed as unknown as D1Database;
}
