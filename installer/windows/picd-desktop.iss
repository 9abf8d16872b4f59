; Inno Setup 6 script: installs the one-folder bundle and associates .picd with PICD Desktop.
; NOT TESTED: there is no Windows machine in this project's CI. Build on Windows:
;
;   .venv\Scripts\pyinstaller --noconfirm --distpath installer\dist installer\picd-desktop.spec
;   iscc /DAppVersion=0.1.0 installer\windows\picd-desktop.iss
;
; Output: installer\dist\picd-desktop-<version>-windows-x64-setup.exe. Per-user install by
; default (no admin); "install for all users" is offered when run as administrator.
; Tesseract is not bundled: encoding needs it (decoding and viewing do not). Setup warns when
; it is missing; install it from https://github.com/UB-Mannheim/tesseract/wiki and keep
; tesseract.exe on PATH.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "PICD Desktop"
#define AppExe "picd-desktop.exe"
#define ProgId "PICD.Screenshot.1"

[Setup]
AppId={{6B0E3C1A-5D3F-4C8E-9B7A-2F1D8E4C7A10}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=PICD Desktop
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
ChangesAssociations=yes
UninstallDisplayIcon={app}\{#AppExe}
OutputDir=..\dist
OutputBaseFilename=picd-desktop-{#AppVersion}-windows-x64-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\dist\picd-desktop\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{group}\Capture Region"; Filename: "{app}\{#AppExe}"; Parameters: "--capture region"
Name: "{group}\{cm:UninstallProgram,{#AppName}}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Registry]
; HKA = HKCU for a per-user install, HKLM for all users (Inno Setup 6).
; .picd -> ProgID, plus OpenWithProgids so Windows lists the app without stealing other choices.
Root: HKA; Subkey: "Software\Classes\.picd"; ValueType: string; ValueName: ""; ValueData: "{#ProgId}"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.picd"; ValueType: string; ValueName: "Content Type"; ValueData: "application/x-picd"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.picd"; ValueType: string; ValueName: "PerceivedType"; ValueData: "image"; Flags: uninsdeletevalue
Root: HKA; Subkey: "Software\Classes\.picd\OpenWithProgids"; ValueType: string; ValueName: "{#ProgId}"; ValueData: ""; Flags: uninsdeletevalue
; The ProgID: description, icon, open verb.
Root: HKA; Subkey: "Software\Classes\{#ProgId}"; ValueType: string; ValueName: ""; ValueData: "PICD compressed screenshot"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\{#ProgId}\DefaultIcon"; ValueType: string; ValueName: ""; ValueData: "{app}\{#AppExe},0"
Root: HKA; Subkey: "Software\Classes\{#ProgId}\shell\open\command"; ValueType: string; ValueName: ""; ValueData: """{app}\{#AppExe}"" ""%1"""
; "Open with" list and the application's friendly name.
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}"; ValueType: string; ValueName: "FriendlyAppName"; ValueData: "{#AppName}"; Flags: uninsdeletekey
Root: HKA; Subkey: "Software\Classes\Applications\{#AppExe}\SupportedTypes"; ValueType: string; ValueName: ".picd"; ValueData: ""

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[Code]
function TesseractFound(): Boolean;
var
  ResultCode: Integer;
begin
  Result := FileExists(ExpandConstant('{commonpf64}\Tesseract-OCR\tesseract.exe'))
    or FileExists(ExpandConstant('{localappdata}\Programs\Tesseract-OCR\tesseract.exe'))
    or (Exec(ExpandConstant('{cmd}'), '/C where tesseract', '', SW_HIDE, ewWaitUntilTerminated, ResultCode)
        and (ResultCode = 0));
end;

procedure CurStepChanged(CurStep: TSetupStep);
begin
  if (CurStep = ssPostInstall) and (not WizardSilent()) and (not TesseractFound()) then
    MsgBox('Tesseract OCR was not found. PICD Desktop can open .picd files without it, but ' +
           'compressing screenshots needs it: install Tesseract (with English data) from ' +
           'https://github.com/UB-Mannheim/tesseract/wiki and add it to PATH.',
           mbInformation, MB_OK);
end;
