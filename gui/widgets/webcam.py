"""Pictures from a webcam for *New dataset…*, where Qt Multimedia is installed (PySide6-Addons).

Qt Multimedia is optional: this module imports it only when a ``WebcamDialog`` is made, and the
Gather dialog makes one only when ``multimedia_available()``; otherwise its button says what to
install. The camera, the capture session and the image capture are children of the dialog, so
they stop and go with it.
"""

from __future__ import annotations

import importlib.util

from PySide6.QtCore import Signal, Slot
from PySide6.QtGui import QCloseEvent, QImage
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget


def multimedia_available() -> bool:
    """Whether Qt Multimedia and its widgets (the webcam) can be imported; both ship in PySide6-Addons."""
    return all(
        importlib.util.find_spec(f"PySide6.{name}") is not None
        for name in ("QtMultimedia", "QtMultimediaWidgets")
    )


class WebcamDialog(QDialog):
    """A live view of the first camera and a *Take picture* button.

    Signals
    -------
    imageTaken(QImage)   a picture was taken
    """

    imageTaken = Signal(QImage)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        # optional: Qt Multimedia ships in PySide6-Addons; callers check multimedia_available() first
        from PySide6.QtMultimedia import QCamera, QImageCapture, QMediaCaptureSession, QMediaDevices

        # optional: the video view, from the same PySide6-Addons package
        from PySide6.QtMultimediaWidgets import QVideoWidget

        self.setObjectName("webcamDialog")
        self.setWindowTitle(self.tr("Webcam"))
        self.taken = 0
        self.view = QVideoWidget(self)
        self.view.setMinimumSize(320, 240)
        self.takeButton = QPushButton(self.tr("Take picture"), objectName="takePictureButton")
        self.statusLabel = QLabel(objectName="webcamStatus", wordWrap=True)
        closeButton = QPushButton(self.tr("Done"))
        closeButton.clicked.connect(self.accept)
        row = QHBoxLayout()
        row.addWidget(self.takeButton)
        row.addWidget(self.statusLabel, 1)
        row.addWidget(closeButton)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        self.camera = None
        cameras = QMediaDevices.videoInputs()
        if not cameras:
            self.takeButton.setEnabled(False)
            self.statusLabel.setText(self.tr("No camera was found on this computer."))
            return
        self.camera = QCamera(cameras[0], self)
        self.capture = QImageCapture(self)
        self.session = QMediaCaptureSession(self)
        self.session.setCamera(self.camera)
        self.session.setImageCapture(self.capture)
        self.session.setVideoOutput(self.view)
        self.capture.imageCaptured.connect(self._on_captured)
        self.capture.errorOccurred.connect(self._on_error)
        self.camera.errorOccurred.connect(self._on_error)
        self.takeButton.clicked.connect(self.take)
        self.statusLabel.setText(cameras[0].description())
        self.camera.start()

    @Slot()
    def take(self) -> None:
        """Take a picture (it arrives through ``imageTaken``)."""
        if self.camera is not None and self.capture.isReadyForCapture():
            self.capture.capture()

    @Slot(int, QImage)
    def _on_captured(self, _request: int, image: QImage) -> None:
        self.taken += 1
        self.statusLabel.setText(self.tr("%n picture(s) taken", "", self.taken))
        self.imageTaken.emit(image)

    @Slot()
    def _on_error(self, *args) -> None:
        message = next((a for a in args if isinstance(a, str) and a), self.tr("the camera reported an error"))
        self.statusLabel.setText(self.tr("Webcam: {message}").format(message=message))

    def done(self, result: int) -> None:
        if self.camera is not None:
            self.camera.stop()  # the camera's light goes off with the dialog
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        if self.camera is not None:
            self.camera.stop()
        super().closeEvent(event)
