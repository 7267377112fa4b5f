import type { ValidatorSpec } from 'envalid';

/**
 * What every settings file of this folder is made of. A concern (the server, the upstream, the cache, ...) owns
 * its environment variables, as envalid specs whose `default` and `desc` are their documentation (the tables of
 * docs/configuration.md are generated from them), the rules that tie them to other variables, and the function
 * that turns their values into the typed options the code uses.
 */

/** A concern's variables, by name. */
export type Settings = Record<string, ValidatorSpec<unknown>>;

/** The values of `S` once each has passed its own check. */
export type Values<S extends Settings> = { readonly [K in keyof S]: S[K] extends ValidatorSpec<infer T> ? T : never };

/** A variable and what is wrong with it, for the one message that lists every problem. */
export interface Problem {
  readonly variable: string;
  readonly message: string;
}

/**
 * A rule between variables: a problem, or nothing. It sees every variable of `S`; one whose own check failed
 * is `undefined` there (its problem is already reported), and a rule that needs it says nothing.
 */
export type Rule<S extends Settings> = (env: Partial<Values<S>>) => Problem | undefined;

/** The settings of one concern, for the documentation. */
export interface Section {
  /** Its file in this folder, and its table's marker (`config-NAME-table`) in docs/configuration.md. */
  readonly name: string;
  readonly title: string;
  readonly settings: Settings;
}

