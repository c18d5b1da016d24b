// Errors returned to clients are masked and logged; a write to a socket the client has already closed is the
// client leaving, logged as such, not an error of the server (found by this session's attack: a subscriber
// whose socket closed mid-send was logged at error level with a stack).
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { errorFormatter } from '../src/server/errors.js';

function setup() {
  const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn() };
  return { logger, format: errorFormatter(logger as unknown as Logger) };
}

const destroyed = () => Object.assign(new Error('Cannot call write after a stream was destroyed'), { code: 'ERR_STREAM_DESTROYED' });

describe('error formatter', () => {
  it('logs a write to a closed socket as the client going away, and still masks it', () => {
    const { logger, format } = setup();
    const error = new GraphQLError(destroyed().message, { originalError: destroyed() });
    expect(format(error.toJSON(), error)).toEqual({ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logger.error).not.toHaveBeenCalled();
    expect(logger.info).toHaveBeenCalledWith({ reason: 'Cannot call write after a stream was destroyed', path: undefined }, 'client went away while being written to');
  });

  it('logs any other unexpected error as an error, masked for the client', () => {
    const { logger, format } = setup();
    const error = new GraphQLError('relation "designs" does not exist', { originalError: new Error('relation "designs" does not exist'), path: ['designs'] });
    expect(format(error.toJSON(), error)).toMatchObject({ message: 'Internal server error', path: ['designs'], extensions: { code: 'INTERNAL_SERVER_ERROR' } });
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(logger.info).not.toHaveBeenCalled();
  });
});
