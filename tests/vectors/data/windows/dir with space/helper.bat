@echo off
rem Prints credentials when its first argument is --flag (a helper whose path holds spaces).
if "%~1"=="--flag" (
  echo {"Version":1,"AccessKeyId":"spacekey","SecretAccessKey":"spacesecret"}
  exit /b 0
)
echo helper.bat: missing --flag>&2
exit /b 2
