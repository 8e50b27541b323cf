import type { AssemblyStack, CfnTemplate, CloudAssembly } from '../../src/local/assembly';
import { AssemblyResolver, FAUXQS_ACCOUNT } from '../../src/local/resolve';

const ENDPOINTS = { fauxqs: 'http://127.0.0.1:4100', dynamodb: 'http://127.0.0.1:4200', events: 'http://127.0.0.1:4300', s3: 'http://127.0.0.1:4400' };

function stack(id: string, template: CfnTemplate): AssemblyStack {
  return { id, stackName: id, account: '123456789012', region: 'eu-west-1', template, dependencies: [], assets: {} };
}

function resolverFor(...stacks: AssemblyStack[]) {
  const assembly: CloudAssembly = { directory: '/tmp/cdk.out', stacks };
  return new AssemblyResolver(assembly, ENDPOINTS);
}

const APP = stack('App', {
  Parameters: { BootstrapVersion: { Type: 'AWS::SSM::Parameter::Value<String>', Default: '/cdk-bootstrap/hnb659fds/version' } },
  Conditions: { IsEu: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] } },
  Resources: {
    Jobs: { Type: 'AWS::SQS::Queue' },
    Orders: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'orders.fifo', FifoQueue: true } },
    Ledger: { Type: 'AWS::SQS::Queue', Properties: { FifoQueue: true } },
    Table: { Type: 'AWS::DynamoDB::Table' },
    Uploads: { Type: 'AWS::S3::Bucket' },
    Topic: { Type: 'AWS::SNS::Topic' },
    Fn: { Type: 'AWS::Lambda::Function' },
    Alarm: { Type: 'AWS::CloudWatch::Alarm' },
  },
});

describe('intrinsic resolution', () => {
  const app = () => resolverFor(APP).forStack('App');

  test('Ref of a queue is its fauxqs URL, and its Arn names fauxqs\'s account and the stack\'s region', () => {
    expect(app().resolve({ Ref: 'Jobs' })).toBe('http://127.0.0.1:4100/000000000000/App-Jobs');
    expect(app().resolve({ 'Fn::GetAtt': ['Jobs', 'Arn'] })).toBe(`arn:aws:sqs:eu-west-1:${FAUXQS_ACCOUNT}:App-Jobs`);
    expect(app().resolve({ 'Fn::GetAtt': 'Jobs.QueueName' })).toBe('App-Jobs');
  });

  test('keeps a queue name the template sets, and gives a generated FIFO queue name the .fifo suffix', () => {
    expect(app().resolve({ 'Fn::GetAtt': ['Orders', 'QueueName'] })).toBe('orders.fifo');
    expect(app().resolve({ 'Fn::GetAtt': ['Ledger', 'QueueName'] })).toBe('App-Ledger.fifo');
  });

  test('names tables, buckets (lower case), topics and functions after the stack and logical id', () => {
    const r = app();
    expect(r.resolve({ Ref: 'Table' })).toBe('App-Table');
    expect(r.resolve({ 'Fn::GetAtt': ['Table', 'Arn'] })).toBe('arn:aws:dynamodb:eu-west-1:123456789012:table/App-Table');
    expect(r.resolve({ Ref: 'Uploads' })).toBe('app-uploads');
    expect(r.resolve({ 'Fn::GetAtt': ['Uploads', 'Arn'] })).toBe('arn:aws:s3:::app-uploads');
    expect(r.resolve({ Ref: 'Topic' })).toBe(`arn:aws:sns:eu-west-1:${FAUXQS_ACCOUNT}:App-Topic`);
    expect(r.resolve({ 'Fn::GetAtt': ['Fn', 'Arn'] })).toBe('arn:aws:lambda:eu-west-1:123456789012:function:App-Fn');
  });

  test('resolves pseudo parameters, Fn::Join, Fn::Sub (with variables, attributes and ${!literal}), Fn::Select and Fn::Split', () => {
    const r = app();
    expect(r.resolve({ 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':s3:::', { Ref: 'Uploads' }, '/*']] })).toBe('arn:aws:s3:::app-uploads/*');
    expect(r.resolve({ 'Fn::Sub': '${AWS::AccountId}/${AWS::Region}/${AWS::URLSuffix}/${Jobs.QueueName}/${!Literal}' }))
      .toBe('123456789012/eu-west-1/amazonaws.com/App-Jobs/${Literal}');
    expect(r.resolve({ 'Fn::Sub': ['${Name}-${Topic}', { Name: { Ref: 'Table' } }] })).toBe(`App-Table-arn:aws:sns:eu-west-1:${FAUXQS_ACCOUNT}:App-Topic`);
    expect(r.resolve({ 'Fn::Select': [1, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Fn', 'Arn'] }] }] })).toBe('aws');
  });

  test('evaluates conditions with Fn::If, and drops AWS::NoValue from objects', () => {
    expect(app().resolve({ A: { 'Fn::If': ['IsEu', 'eu', 'other'] }, B: { Ref: 'AWS::NoValue' } })).toEqual({ A: 'eu' });
  });

  test('answers a parameter with its default', () => {
    expect(app().resolve({ Ref: 'BootstrapVersion' })).toBe('/cdk-bootstrap/hnb659fds/version');
  });

  test('resolves Fn::ImportValue from the Outputs of the stack that exports it', () => {
    // GIVEN
    const shared = stack('Shared', {
      Resources: { AlarmTopic: { Type: 'AWS::SNS::Topic' } },
      Outputs: { TopicOut: { Value: { Ref: 'AlarmTopic' }, Export: { Name: { 'Fn::Sub': '${AWS::StackName}:AlarmTopicArn' } } } },
    });
    const consumer = stack('Consumer', { Resources: {} });
    // THEN
    expect(resolverFor(shared, consumer).forStack('Consumer').resolve({ 'Fn::ImportValue': 'Shared:AlarmTopicArn' }))
      .toBe(`arn:aws:sns:eu-west-1:${FAUXQS_ACCOUNT}:Shared-AlarmTopic`);
  });

  test('gives a type it does not emulate a stable identity, so templates that only mention it resolve', () => {
    expect(app().resolve({ Ref: 'Alarm' })).toBe('App-Alarm');
    expect(app().resolve({ 'Fn::GetAtt': ['Alarm', 'Arn'] })).toBe('arn:aws:cloudwatch:eu-west-1:123456789012:App-Alarm');
  });

  test('fails with the stack and the reference for an unknown logical id, export or attribute', () => {
    expect(() => app().resolve({ Ref: 'Missing' })).toThrow('App: cannot resolve a reference to Missing: the template has no such resource or parameter');
    expect(() => app().resolve({ 'Fn::ImportValue': 'Nope:Export' })).toThrow('App: cannot resolve Fn::ImportValue Nope:Export: no stack of the assembly exports it');
    expect(() => app().resolve({ 'Fn::GetAtt': ['Jobs', 'Bogus'] })).toThrow('App: cannot resolve Fn::GetAtt Jobs.Bogus: the local cloud does not know that attribute of AWS::SQS::Queue');
  });
});
