import type { AttributeValue } from '@aws-sdk/client-dynamodb';

/**
 * The parts of DynamoDB's two languages the stand-in evaluates: condition and update expressions
 * (`#name`, `:value`) and PartiQL statements (`"name"`, `'literal'`, `?`). Parsed once per text
 * and cached. What it does not know it refuses loudly, so a runtime sending something new makes
 * the benchmark fail instead of measuring a wrong answer.
 */

export type Item = Record<string, AttributeValue>;

/** Where an expression's placeholders come from. */
export interface Bindings {
  readonly names?: Record<string, string>;
  readonly values?: Record<string, AttributeValue>;
  /** PartiQL's `?` parameters, in order. */
  readonly parameters?: readonly AttributeValue[];
}

type Operand =
  | { readonly kind: 'path'; readonly name: string }
  | { readonly kind: 'value'; readonly placeholder: string }
  | { readonly kind: 'parameter'; readonly index: number }
  | { readonly kind: 'literal'; readonly value: AttributeValue };

export type Condition =
  | { readonly kind: 'and' | 'or'; readonly left: Condition; readonly right: Condition }
  | { readonly kind: 'not'; readonly inner: Condition }
  | { readonly kind: 'compare'; readonly op: string; readonly left: Operand; readonly right: Operand }
  | { readonly kind: 'between'; readonly operand: Operand; readonly low: Operand; readonly high: Operand }
  | { readonly kind: 'in'; readonly operand: Operand; readonly list: readonly Operand[] }
  | { readonly kind: 'exists'; readonly path: Operand; readonly exists: boolean }
  | { readonly kind: 'function'; readonly name: 'begins_with' | 'contains' | 'attribute_type'; readonly path: Operand; readonly operand: Operand };

type SetValue =
  | { readonly kind: 'operand'; readonly operand: Operand }
  | { readonly kind: 'arithmetic'; readonly op: '+' | '-'; readonly left: SetValue; readonly right: SetValue }
  | { readonly kind: 'if_not_exists'; readonly path: Operand; readonly fallback: SetValue }
  | { readonly kind: 'list_append'; readonly first: SetValue; readonly second: SetValue };

export type UpdateAction =
  | { readonly kind: 'SET'; readonly path: Operand; readonly value: SetValue }
  | { readonly kind: 'REMOVE'; readonly path: Operand }
  | { readonly kind: 'ADD' | 'DELETE'; readonly path: Operand; readonly operand: Operand };

export type Statement =
  | { readonly kind: 'INSERT'; readonly table: string; readonly item: readonly [string, Operand][] }
  | { readonly kind: 'UPDATE'; readonly table: string; readonly actions: readonly UpdateAction[]; readonly where: Condition }
  | { readonly kind: 'DELETE'; readonly table: string; readonly where: Condition }
  | { readonly kind: 'SELECT'; readonly table: string; readonly projection: readonly string[] | '*'; readonly where: Condition };

// ---------------------------------------------------------------------------------------------
// Tokens

type Token = { readonly type: 'word' | 'name' | 'value' | 'quoted' | 'string' | 'number' | 'punct' | 'param'; readonly text: string };

const TOKEN = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|("(?:[^"]|"")*")|('(?:[^']|'')*')|(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|<<|>>|[=<>(),.[\]{}+\-*:?]))/y;

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < text.length) {
    if (/^\s*$/.test(text.slice(TOKEN.lastIndex))) break;
    const start = TOKEN.lastIndex;
    const match = TOKEN.exec(text);
    if (!match) throw new Error(`DynamoDbStandIn: cannot read ${JSON.stringify(text)} at ${start}`);
    const [, name, value, quoted, string, number, word, punct] = match;
    if (name) tokens.push({ type: 'name', text: name });
    else if (value) tokens.push({ type: 'value', text: value });
    else if (quoted) tokens.push({ type: 'quoted', text: quoted.slice(1, -1).replace(/""/g, '"') });
    else if (string) tokens.push({ type: 'string', text: string.slice(1, -1).replace(/''/g, "'") });
    else if (number) tokens.push({ type: 'number', text: number });
    else if (word) tokens.push({ type: 'word', text: word });
    else tokens.push(punct === '?' ? { type: 'param', text: '?' } : { type: 'punct', text: punct });
  }
  return tokens;
}

class Parser {
  private position = 0;
  private parameterCount = 0;
  constructor(private readonly tokens: Token[], private readonly source: string) {}

  peek(offset = 0): Token | undefined {
    return this.tokens[this.position + offset];
  }

  isWord(word: string, offset = 0): boolean {
    const token = this.peek(offset);
    return token?.type === 'word' && token.text.toUpperCase() === word;
  }

  isPunct(punct: string): boolean {
    const token = this.peek();
    return token?.type === 'punct' && token.text === punct;
  }

  next(): Token {
    const token = this.tokens[this.position++];
    if (!token) this.fail('unexpected end');
    return token;
  }

  expectWord(word: string): void {
    if (!this.isWord(word)) this.fail(`expected ${word}`);
    this.position++;
  }

  expectPunct(punct: string): void {
    if (!this.isPunct(punct)) this.fail(`expected ${punct}`);
    this.position++;
  }

  done(): boolean {
    return this.position >= this.tokens.length;
  }

  fail(why: string): never {
    throw new Error(`DynamoDbStandIn: ${why} in ${JSON.stringify(this.source)} at token ${this.position} (not stood in?)`);
  }

  // condition := or;  or := and (OR and)*;  and := not (AND not)*;  not := NOT not | primary
  condition(): Condition {
    let left = this.andCondition();
    while (this.isWord('OR')) {
      this.position++;
      left = { kind: 'or', left, right: this.andCondition() };
    }
    return left;
  }

  private andCondition(): Condition {
    let left = this.notCondition();
    while (this.isWord('AND')) {
      this.position++;
      left = { kind: 'and', left, right: this.notCondition() };
    }
    return left;
  }

  private notCondition(): Condition {
    if (this.isWord('NOT')) {
      this.position++;
      return { kind: 'not', inner: this.notCondition() };
    }
    return this.primary();
  }

  private primary(): Condition {
    if (this.isPunct('(')) {
      this.position++;
      const inner = this.condition();
      this.expectPunct(')');
      return inner;
    }
    const token = this.peek();
    const fn = token?.type === 'word' ? token.text.toLowerCase() : '';
    if (this.peek(1)?.text === '(' && ['attribute_exists', 'attribute_not_exists', 'begins_with', 'contains', 'attribute_type'].includes(fn)) {
      this.position += 2;
      const path = this.operand();
      let condition: Condition;
      if (fn === 'attribute_exists' || fn === 'attribute_not_exists') {
        condition = { kind: 'exists', path, exists: fn === 'attribute_exists' };
      } else {
        this.expectPunct(',');
        condition = { kind: 'function', name: fn as 'begins_with' | 'contains' | 'attribute_type', path, operand: this.operand() };
      }
      this.expectPunct(')');
      return condition;
    }
    const left = this.operand();
    if (this.isWord('BETWEEN')) {
      this.position++;
      const low = this.operand();
      this.expectWord('AND');
      return { kind: 'between', operand: left, low, high: this.operand() };
    }
    if (this.isWord('IN')) {
      this.position++;
      this.expectPunct('(');
      const list = [this.operand()];
      while (this.isPunct(',')) {
        this.position++;
        list.push(this.operand());
      }
      this.expectPunct(')');
      return { kind: 'in', operand: left, list };
    }
    if (this.isWord('IS')) {
      // PartiQL: `path IS [NOT] MISSING`.
      this.position++;
      const negated = this.isWord('NOT');
      if (negated) this.position++;
      this.expectWord('MISSING');
      return { kind: 'exists', path: left, exists: negated };
    }
    const op = this.next();
    if (op.type !== 'punct' || !['=', '<>', '<', '<=', '>', '>='].includes(op.text)) this.fail(`unexpected ${op.text}`);
    return { kind: 'compare', op: op.text, left, right: this.operand() };
  }

  operand(): Operand {
    const token = this.next();
    switch (token.type) {
      case 'name':
      case 'quoted':
      case 'word':
        if (token.type === 'word' && ['TRUE', 'FALSE', 'NULL'].includes(token.text.toUpperCase())) {
          const upper = token.text.toUpperCase();
          return { kind: 'literal', value: upper === 'NULL' ? { NULL: true } : { BOOL: upper === 'TRUE' } };
        }
        if (this.isPunct('.') || this.isPunct('[')) this.fail('nested paths are not stood in');
        return { kind: 'path', name: token.text };
      case 'value':
        return { kind: 'value', placeholder: token.text };
      case 'param':
        return { kind: 'parameter', index: this.parameterCount++ };
      case 'string':
        return { kind: 'literal', value: { S: token.text } };
      case 'number':
        return { kind: 'literal', value: { N: token.text } };
      default:
        return this.fail(`unexpected ${token.text}`);
    }
  }

  // DynamoDB update expression: SET a = v, … REMOVE a, … ADD a :v, … DELETE a :v, …
  updateActions(stopAt?: string): UpdateAction[] {
    const actions: UpdateAction[] = [];
    while (!this.done() && !(stopAt && this.isWord(stopAt))) {
      const clause = this.next().text.toUpperCase();
      if (!['SET', 'REMOVE', 'ADD', 'DELETE'].includes(clause)) this.fail(`unexpected ${clause}`);
      do {
        if (actions.length > 0 && this.isPunct(',')) this.position++;
        const path = this.operand();
        if (clause === 'SET') {
          this.expectPunct('=');
          actions.push({ kind: 'SET', path, value: this.setValue() });
        } else if (clause === 'REMOVE') {
          actions.push({ kind: 'REMOVE', path });
        } else {
          actions.push({ kind: clause as 'ADD' | 'DELETE', path, operand: this.operand() });
        }
      } while (this.isPunct(','));
    }
    return actions;
  }

  private setValue(): SetValue {
    const left = this.setTerm();
    if (this.isPunct('+') || this.isPunct('-')) {
      const op = this.next().text as '+' | '-';
      return { kind: 'arithmetic', op, left, right: this.setTerm() };
    }
    return left;
  }

  private setTerm(): SetValue {
    const fn = this.peek()?.type === 'word' && this.peek(1)?.text === '(' ? this.peek()!.text.toLowerCase() : '';
    if (fn === 'if_not_exists' || fn === 'list_append') {
      this.position += 2;
      const first = fn === 'if_not_exists' ? this.operand() : this.setValue();
      this.expectPunct(',');
      const second = this.setValue();
      this.expectPunct(')');
      return fn === 'if_not_exists'
        ? { kind: 'if_not_exists', path: first as Operand, fallback: second }
        : { kind: 'list_append', first: first as SetValue, second };
    }
    return { kind: 'operand', operand: this.operand() };
  }

  // PartiQL
  statement(): Statement {
    const verb = this.next().text.toUpperCase();
    if (verb === 'INSERT') {
      this.expectWord('INTO');
      const table = this.tableName();
      this.expectWord('VALUE');
      this.expectPunct('{');
      const item: [string, Operand][] = [];
      while (!this.isPunct('}')) {
        if (item.length > 0) this.expectPunct(',');
        const key = this.next();
        if (key.type !== 'string') this.fail('expected an attribute name in quotes');
        this.expectPunct(':');
        item.push([key.text, this.operand()]);
      }
      this.expectPunct('}');
      return { kind: 'INSERT', table, item };
    }
    if (verb === 'UPDATE') {
      const table = this.tableName();
      const actions = this.updateActions('WHERE');
      this.expectWord('WHERE');
      return { kind: 'UPDATE', table, actions, where: this.condition() };
    }
    if (verb === 'DELETE') {
      this.expectWord('FROM');
      const table = this.tableName();
      this.expectWord('WHERE');
      return { kind: 'DELETE', table, where: this.condition() };
    }
    if (verb === 'SELECT') {
      let projection: string[] | '*' = '*';
      if (this.isPunct('*')) this.position++;
      else {
        projection = [];
        do {
          if (projection.length > 0) this.position++;
          projection.push(this.next().text);
        } while (this.isPunct(','));
      }
      this.expectWord('FROM');
      const table = this.tableName();
      this.expectWord('WHERE');
      return { kind: 'SELECT', table, projection, where: this.condition() };
    }
    return this.fail(`${verb} statements are not stood in`);
  }

  private tableName(): string {
    const token = this.next();
    if (token.type !== 'quoted' && token.type !== 'word') this.fail('expected a table name');
    return token.text;
  }
}

const conditions = new Map<string, Condition>();
const updates = new Map<string, UpdateAction[]>();
const statements = new Map<string, Statement>();

export function parseCondition(text: string): Condition {
  let parsed = conditions.get(text);
  if (!parsed) {
    const parser = new Parser(tokenize(text), text);
    parsed = parser.condition();
    if (!parser.done()) parser.fail('trailing text');
    conditions.set(text, parsed);
  }
  return parsed;
}

export function parseUpdate(text: string): UpdateAction[] {
  let parsed = updates.get(text);
  if (!parsed) {
    parsed = new Parser(tokenize(text), text).updateActions();
    updates.set(text, parsed);
  }
  return parsed;
}

export function parseStatement(text: string): Statement {
  let parsed = statements.get(text);
  if (!parsed) {
    const parser = new Parser(tokenize(text), text);
    parsed = parser.statement();
    if (!parser.done()) parser.fail('trailing text');
    statements.set(text, parsed);
  }
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Evaluation

function pathName(operand: Operand, bindings: Bindings): string {
  if (operand.kind !== 'path') throw new Error('DynamoDbStandIn: expected an attribute path');
  if (operand.name.startsWith('#')) {
    const name = bindings.names?.[operand.name];
    if (name === undefined) throw new Error(`DynamoDbStandIn: ${operand.name} is not in ExpressionAttributeNames`);
    return name;
  }
  return operand.name;
}

/** The operand's value against `item`; undefined for a missing attribute. */
export function operandValue(operand: Operand, item: Item | undefined, bindings: Bindings): AttributeValue | undefined {
  switch (operand.kind) {
    case 'path':
      return item?.[pathName(operand, bindings)];
    case 'value': {
      const value = bindings.values?.[operand.placeholder];
      if (value === undefined) throw new Error(`DynamoDbStandIn: ${operand.placeholder} is not in ExpressionAttributeValues`);
      return value;
    }
    case 'parameter': {
      const value = bindings.parameters?.[operand.index];
      if (value === undefined) throw new Error(`DynamoDbStandIn: parameter ${operand.index + 1} is missing`);
      return value;
    }
    case 'literal':
      return operand.value;
  }
}

/** -1, 0, 1, or undefined when the two are not comparable (different or unordered types). */
function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined) return undefined;
  if (a.N !== undefined && b.N !== undefined) return Math.sign(Number(a.N) - Number(b.N));
  if (a.S !== undefined && b.S !== undefined) return a.S < b.S ? -1 : a.S > b.S ? 1 : 0;
  if (a.B !== undefined && b.B !== undefined) return Math.sign(Buffer.compare(Buffer.from(a.B), Buffer.from(b.B)));
  return undefined;
}

export function equal(a: AttributeValue | undefined, b: AttributeValue | undefined): boolean {
  if (a === undefined || b === undefined) return false;
  if (a.N !== undefined && b.N !== undefined) return Number(a.N) === Number(b.N);
  return JSON.stringify(a) === JSON.stringify(b);
}

export function evaluate(condition: Condition, item: Item | undefined, bindings: Bindings): boolean {
  switch (condition.kind) {
    case 'and':
      return evaluate(condition.left, item, bindings) && evaluate(condition.right, item, bindings);
    case 'or':
      return evaluate(condition.left, item, bindings) || evaluate(condition.right, item, bindings);
    case 'not':
      return !evaluate(condition.inner, item, bindings);
    case 'exists':
      return (operandValue(condition.path, item, bindings) !== undefined) === condition.exists;
    case 'compare': {
      const left = operandValue(condition.left, item, bindings);
      const right = operandValue(condition.right, item, bindings);
      if (condition.op === '=') return equal(left, right);
      if (condition.op === '<>') return left !== undefined && right !== undefined && !equal(left, right);
      const order = compare(left, right);
      if (order === undefined) return false;
      return condition.op === '<' ? order < 0 : condition.op === '<=' ? order <= 0 : condition.op === '>' ? order > 0 : order >= 0;
    }
    case 'between': {
      const value = operandValue(condition.operand, item, bindings);
      const low = compare(value, operandValue(condition.low, item, bindings));
      const high = compare(value, operandValue(condition.high, item, bindings));
      return low !== undefined && high !== undefined && low >= 0 && high <= 0;
    }
    case 'in': {
      const value = operandValue(condition.operand, item, bindings);
      return condition.list.some((candidate) => equal(value, operandValue(candidate, item, bindings)));
    }
    case 'function': {
      const value = operandValue(condition.path, item, bindings);
      const operand = operandValue(condition.operand, item, bindings);
      if (value === undefined || operand === undefined) return false;
      if (condition.name === 'begins_with') return value.S !== undefined && operand.S !== undefined && value.S.startsWith(operand.S);
      if (condition.name === 'attribute_type') return operand.S !== undefined && Object.keys(value)[0] === operand.S;
      if (value.S !== undefined && operand.S !== undefined) return value.S.includes(operand.S);
      if (value.SS && operand.S !== undefined) return value.SS.includes(operand.S);
      if (value.L) return value.L.some((element) => equal(element, operand));
      return false;
    }
  }
}

function setValue(value: SetValue, item: Item | undefined, bindings: Bindings): AttributeValue {
  switch (value.kind) {
    case 'operand': {
      const result = operandValue(value.operand, item, bindings);
      if (result === undefined) throw new ValidationError('The provided expression refers to an attribute that does not exist in the item');
      return result;
    }
    case 'arithmetic': {
      const left = setValue(value.left, item, bindings);
      const right = setValue(value.right, item, bindings);
      if (left.N === undefined || right.N === undefined) throw new ValidationError('An operand in the update expression has an incorrect data type');
      return { N: String(value.op === '+' ? Number(left.N) + Number(right.N) : Number(left.N) - Number(right.N)) };
    }
    case 'if_not_exists':
      return operandValue(value.path, item, bindings) ?? setValue(value.fallback, item, bindings);
    case 'list_append':
      return { L: [...(setValue(value.first, item, bindings).L ?? []), ...(setValue(value.second, item, bindings).L ?? [])] };
  }
}

/** Applies `actions` to a copy of `item` (values are read from the item as it was before, as DynamoDB does). */
export function applyUpdate(item: Item, actions: readonly UpdateAction[], bindings: Bindings): Item {
  const updated = { ...item };
  for (const action of actions) {
    const name = pathName(action.path, bindings);
    if (action.kind === 'SET') {
      updated[name] = setValue(action.value, item, bindings);
    } else if (action.kind === 'REMOVE') {
      delete updated[name];
    } else {
      const operand = operandValue(action.operand, item, bindings)!;
      const current = item[name];
      if (action.kind === 'ADD' && operand.N !== undefined) {
        updated[name] = { N: String(Number(current?.N ?? 0) + Number(operand.N)) };
      } else if (operand.SS || operand.NS) {
        const change = operand.SS ?? operand.NS ?? [];
        const existing = (operand.SS ? current?.SS : current?.NS) ?? [];
        const next = action.kind === 'ADD' ? [...new Set([...existing, ...change])] : existing.filter((element) => !change.includes(element));
        if (next.length === 0) delete updated[name];
        else updated[name] = operand.SS ? { SS: next } : { NS: next };
      } else {
        throw new ValidationError(`${action.kind} on this type is not stood in`);
      }
    }
  }
  return updated;
}

/** An error DynamoDB answers as a ValidationException. */
export class ValidationError extends Error {}
