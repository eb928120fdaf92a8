// Types for asl-validator, which ships none (its README documents this call shape).
declare module 'asl-validator' {
  interface AslValidatorOptions {
    /** Check the syntax of Paths; default true. */
    checkPaths?: boolean;
    /** Require Task Resources to be ARNs; default true. */
    checkArn?: boolean;
  }
  interface AslValidatorError {
    'Error code': string;
    Message: string;
    schemaError?: { instancePath: string; schemaPath: string };
  }
  interface AslValidatorResult {
    isValid: boolean;
    errors: AslValidatorError[];
    errorsText(separator?: string): string;
  }
  function aslValidator(definition: object, options?: AslValidatorOptions): AslValidatorResult;
  export = aslValidator;
}
