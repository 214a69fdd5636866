import { HttpStatus, Param, ParseUUIDPipe, ValidationPipe, type ValidationError } from '@nestjs/common';
import { AppException } from '../errors/app.exception';
import { ErrorCode } from '../errors/error-codes';

interface FieldProblem {
  field: string;
  problems: string[];
}

function flatten(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = error.constraints ? [{ field, problems: Object.values(error.constraints) }] : [];
    return [...own, ...flatten(error.children ?? [], field)];
  });
}

/** Unknown fields are refused, not dropped: a typo in a public API should fail loudly. */
export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    transformOptions: { enableImplicitConversion: false },
    validationError: { target: false, value: false },
    exceptionFactory: (errors) =>
      new AppException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, 'The request is not valid', flatten(errors)),
  });
}

const uuidPipe = new ParseUUIDPipe({
  exceptionFactory: () => new AppException(HttpStatus.BAD_REQUEST, ErrorCode.ValidationFailed, 'The id in the path must be a UUID'),
});

/** A path id: anything but a UUID is a 400 before a query could run with it. */
export const UuidParam = (name = 'id'): ParameterDecorator => Param(name, uuidPipe);
