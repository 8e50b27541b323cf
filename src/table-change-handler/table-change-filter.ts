import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * A condition on one attribute of the changed item, added to the event source mapping's
 * FilterCriteria so that Lambda drops the records that do not match before invoking (a dropped
 * record costs no invocation).
 *
 * The condition is on the item after the change for `onInsert` and `onModify` (the stream
 * record's `NewImage`) and on the item before the change for `onRemove` and `onExpire`
 * (`OldImage`). Conditions are on DynamoDB's typed values (`{ "S": "USER" }`), so each factory
 * says the attribute's type.
 */
export class TableChangeFilter {
  /**
   * The string attribute equals `value` (e.g. `attributeEquals('type', 'USER')`).
   *
   * @param attribute the attribute's name
   * @param value the string it must equal
   */
  public static attributeEquals(attribute: string, value: string): TableChangeFilter {
    return new TableChangeFilter(attribute, 'S', lambda.FilterRule.isEqual(value), `${attribute} = '${value}'`);
  }

  /**
   * The string attribute equals one of `values`.
   *
   * @param attribute the attribute's name
   * @param values the strings it may equal (at least one)
   */
  public static attributeIn(attribute: string, values: string[]): TableChangeFilter {
    return new TableChangeFilter(attribute, 'S', lambda.FilterRule.or(...values), `${attribute} in [${values.map((v) => `'${v}'`).join(', ')}]`, values.length === 0);
  }

  /**
   * The string attribute begins with `prefix` (e.g. `attributePrefix('sk', 'ORDER#')`).
   *
   * @param attribute the attribute's name
   * @param prefix what it must begin with
   */
  public static attributePrefix(attribute: string, prefix: string): TableChangeFilter {
    return new TableChangeFilter(attribute, 'S', lambda.FilterRule.beginsWith(prefix), `${attribute} begins with '${prefix}'`);
  }

  /**
   * The boolean attribute is `value`.
   *
   * @param attribute the attribute's name
   * @param value true or false
   */
  public static attributeIsBoolean(attribute: string, value: boolean): TableChangeFilter {
    return new TableChangeFilter(attribute, 'BOOL', lambda.FilterRule.isEqual(value), `${attribute} is ${value}`);
  }

  /**
   * The item has the attribute, with the given type.
   *
   * @param attribute the attribute's name
   * @param type its DynamoDB type (string, number or binary)
   */
  public static attributeExists(attribute: string, type: dynamodb.AttributeType = dynamodb.AttributeType.STRING): TableChangeFilter {
    return new TableChangeFilter(attribute, type, lambda.FilterRule.exists(), `${attribute} exists (${type})`);
  }

  /**
   * The item does not have the attribute with the given type.
   *
   * @param attribute the attribute's name
   * @param type its DynamoDB type (string, number or binary)
   */
  public static attributeNotExists(attribute: string, type: dynamodb.AttributeType = dynamodb.AttributeType.STRING): TableChangeFilter {
    return new TableChangeFilter(attribute, type, lambda.FilterRule.notExists(), `${attribute} does not exist (${type})`);
  }

  private constructor(
    /** The attribute's name. */
    public readonly attribute: string,
    private readonly valueType: string,
    private readonly rule: unknown,
    /** What the filter checks, for messages and docs. */
    public readonly description: string,
    private readonly empty = false,
  ) {}

  /**
   * The attribute's part of a FilterCriteria pattern below the image: `{ <attribute>: { <type>: <rule> } }`.
   *
   * @internal
   */
  public _pattern(): { [attribute: string]: unknown } {
    return { [this.attribute]: { [this.valueType]: this.rule } };
  }

  /**
   * Why the filter cannot work, if it cannot.
   *
   * @internal
   */
  public _problem(): string | undefined {
    if (this.attribute.trim() === '') return 'the attribute name is empty';
    if (this.empty) return `${this.attribute}: attributeIn needs at least one value`;
    return undefined;
  }
}
