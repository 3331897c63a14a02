@echo off
rem Exits with status 3.
exit /b 3
