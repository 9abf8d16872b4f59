"""The settings dialog: edits a copy of Settings; the caller saves on accept."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from picd_desktop.app.settings import DEVICES, Settings


class SettingsDialog(QDialog):
    """Form over every persisted setting; `result_settings()` reads it back."""

    def __init__(self, settings: Settings, renderers: list[str],
                 parent: QWidget | None = None, base_codecs: list[str] | None = None,
                 default_base: str = "") -> None:
        super().__init__(parent)
        self.setWindowTitle("Settings")
        self._base = settings
        self.quality = QSpinBox(minimum=1, maximum=8, value=settings.quality)
        self.renderer = QComboBox()
        self.renderer.addItems(sorted(set(renderers) | {settings.renderer}))
        self.renderer.setCurrentText(settings.renderer)
        self.base_codec = QComboBox()  # item data: the id ("" = the default codec)
        self.base_codec.addItem(f"default ({default_base})" if default_base else "default", "")
        for codec_id in base_codecs or []:
            if codec_id != default_base:
                self.base_codec.addItem(codec_id, codec_id)
        if settings.base_codec and self.base_codec.findData(settings.base_codec) < 0:
            self.base_codec.addItem(settings.base_codec, settings.base_codec)
        self.base_codec.setCurrentIndex(max(0, self.base_codec.findData(settings.base_codec)))
        self.steps = QSpinBox(minimum=1, maximum=1000, value=settings.steps)
        self.device = QComboBox()
        self.device.addItems(list(DEVICES))
        self.device.setCurrentText(settings.device)
        self.guidance = QCheckBox("Text guidance during rendering")
        self.guidance.setChecked(settings.guidance)
        self.langs = QLineEdit(settings.langs, placeholderText="eng or eng+deu")
        self.delay = QSpinBox(minimum=0, maximum=60, value=settings.capture_delay_s,
                              suffix=" s")
        self.archive = QLineEdit(settings.archive_dir)
        browse = QPushButton("Browse…")
        browse.clicked.connect(self._browse)
        folder = QHBoxLayout()
        folder.addWidget(self.archive, 1)
        folder.addWidget(browse)
        form = QFormLayout(self)
        form.addRow("Default quality (1-8)", self.quality)
        form.addRow("Image codec", self.base_codec)
        form.addRow("Renderer", self.renderer)
        form.addRow("Rendering steps", self.steps)
        form.addRow("Device", self.device)
        form.addRow("", self.guidance)
        form.addRow("OCR languages", self.langs)
        form.addRow("Capture delay", self.delay)
        form.addRow("Archive folder", folder)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                   | QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Archive folder", self.archive.text())
        if folder:
            self.archive.setText(folder)

    def result_settings(self) -> Settings:
        return replace(self._base, quality=self.quality.value(),
                       renderer=self.renderer.currentText(), steps=self.steps.value(),
                       device=self.device.currentText(), guidance=self.guidance.isChecked(),
                       langs=self.langs.text().strip() or "eng",
                       archive_dir=self.archive.text().strip() or self._base.archive_dir,
                       capture_delay_s=self.delay.value(),
                       base_codec=self.base_codec.currentData() or "").validated()
