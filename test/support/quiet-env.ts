// Spillway targets Node.js 20 (see package.json engines); the AWS SDK's notice that its 2027 releases will need 22
// is printed once per process, which in a test run is once per file and per server, and hides real output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
