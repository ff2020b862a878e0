import { describeConnectionLoss } from '../../../src/db/connectionLoss';

describe('what a dropped database connection is logged as', () => {
  it('a session the server ended on purpose (57P01) is said to be that, not a lost connection', () => {
    const report = describeConnectionLoss({ code: '57P01' }, false);
    expect(report.message).toMatch(/database server ended this connection \(57P01 admin_shutdown/);
    expect(report.message).not.toMatch(/connection lost/);
  });

  it('any drop during our own shutdown is expected: debug, not a warning', () => {
    for (const code of ['57P01', 'ECONNRESET', undefined]) {
      expect(describeConnectionLoss({ code }, true)).toEqual({ level: 'debug', message: 'database connection closed while this process shuts down' });
    }
  });

  it('anything else is a connection really lost, at warn', () => {
    expect(describeConnectionLoss({ code: 'ECONNRESET' }, false)).toEqual({ level: 'warn', message: 'database connection lost' });
    expect(describeConnectionLoss({}, false)).toEqual({ level: 'warn', message: 'database connection lost' });
  });
});
