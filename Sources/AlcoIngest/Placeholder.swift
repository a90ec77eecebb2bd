public enum AlcoIngestModule {}
